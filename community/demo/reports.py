"""Demo data of the reports ("did it work"), so a fresh clone's reports show figures.

On a plan's first post: a few past sends to six groups (2, 4 and 6 days ago, confirmed in
WeCom), their links carrying the owner's share code; one order per send by a group member
through that code within N days; members talking in those groups in the emulator on and
before the send days; and one read-back of WeCom's group-chat statistics. On the
first-purchase journey: its first step delivered to three customers 3 days ago, two of
whom ordered through their guide's code. A plan's, the post's and the step's reports then
have orders, amounts and activity.

Idempotent: skips when a demo report send exists; needs the groups, delivery and journeys
seeds first (and the emulator for the messages and statistics).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Flask

DEMO_KEY = "demo-report"
SEND_DAYS_AGO = (6, 4, 2)
GROUPS = 6
STEP_DAYS_AGO = 3


def _at(day: date, hour: int) -> datetime:
    """The aware UTC moment of ``hour`` o'clock on Shanghai day ``day``."""
    from app.clock import SHANGHAI, as_utc

    return as_utc(datetime.combine(day, time(hour), tzinfo=SHANGHAI))


def _order(customer, code: str, paid_at: datetime, fen: int, n: int, to_pay: list) -> None:
    """An order of ``customer`` placed with the share code ``code``, to be paid at
    ``paid_at`` (``to_pay``) after the commit through the demo's payment path, so it has
    its payment and ledger like every other paid demo order."""
    from app.extensions import db
    from franchise.models import Order, OrderEvent

    order = Order(order_no=f"DR{paid_at:%y%m%d}{n:05d}", customer_id=customer.id,
                  franchisee_id=customer.franchisee_id, store_id=customer.store_id,
                  share_code=code, status="created", total_fen=fen, payable_fen=fen,
                  created_at=paid_at)  # fmt: skip
    db.session.add(order)
    db.session.flush()
    db.session.add(OrderEvent(order_id=order.id, to_status="created", actor_role="customer",
                              note="", created_at=paid_at - timedelta(minutes=5)))  # fmt: skip
    to_pay.append((order.id, paid_at))


def _pay(to_pay: list) -> None:
    """Pay the orders ``_order`` wrote, each at its moment (``payments.settle``)."""
    from franchise.demo.commerce import pay_demo_order

    for order_id, paid_at in to_pay:
        pay_demo_order(order_id, paid_at)


def _buyers(group) -> list:
    """The group's members matched to customers of the group's franchise."""
    from sqlalchemy import select

    from app.extensions import db
    from community.models import GroupMember
    from franchise.models import Customer

    return list(
        db.session.execute(
            select(GroupMember.userid, Customer)
            .join(Customer, Customer.id == GroupMember.customer_id)
            .where(GroupMember.group_id == group.id,
                   Customer.franchisee_id == group.franchisee_id)
            .order_by(GroupMember.id)
        ).all()
    )  # fmt: skip


def _group_sends(app: Flask, today: date) -> tuple[int, int]:
    """The past sends of the first plan, their orders and the members' messages."""
    from sqlalchemy import select

    from app.extensions import db
    from community.models import (
        DELIVERY_SENT,
        GroupDelivery,
        PushPlan,
        SendBatch,
        SlotAllocation,
        WecomGroup,
    )
    from community.models.delivery import BATCH_SENT
    from franchise.models import Guide
    from franchise.services.customers import guide_share_code

    plan = db.session.scalars(select(PushPlan).order_by(PushPlan.id)).first()
    groups = [
        g for g in db.session.scalars(
            select(WecomGroup).where(WecomGroup.guide_id.is_not(None)).order_by(WecomGroup.id))
        if _buyers(g)
    ][:GROUPS]  # fmt: skip
    if plan is None or not groups:
        return 0, 0
    orders, to_pay = 0, list[tuple[int, datetime]]()
    for i, group in enumerate(groups):
        guide = db.session.get(Guide, group.guide_id)
        if guide is None:
            continue
        code = guide_share_code(guide).code
        buyers = _buyers(group)
        for back in SEND_DAYS_AGO:
            day = today - timedelta(days=back)
            sent_at = _at(day, 10)
            batch = SendBatch(dedupe_key=f"{DEMO_KEY}:{group.id}:{day}", day=day,
                              sender_userid=group.owner_userid, guide_id=guide.id,
                              store_id=group.store_id, franchisee_id=group.franchisee_id,
                              post_id=plan.post_id, chat_ids=[group.chat_id], status=BATCH_SENT,
                              msgid=f"{DEMO_KEY}-{group.id}-{back}", called_at=sent_at,
                              confirmed_at=sent_at, created_at=sent_at)  # fmt: skip
            db.session.add(batch)
            db.session.flush()
            db.session.add(SlotAllocation(day=day, occurrence=day, deadline=day, plan_id=plan.id,
                                          post_id=plan.post_id, group_id=group.id,
                                          guide_id=guide.id, store_id=group.store_id,
                                          franchisee_id=group.franchisee_id, status="sent",
                                          send_at=sent_at, batch_id=batch.id))  # fmt: skip
            db.session.add(GroupDelivery(batch_id=batch.id, group_id=group.id, day=day,
                                         guide_id=guide.id, store_id=group.store_id,
                                         franchisee_id=group.franchisee_id,
                                         region_id=group.region_id, status=DELIVERY_SENT,
                                         send_time=sent_at))  # fmt: skip
            _, customer = buyers[(i + back) % len(buyers)]
            fen = (1280 + 460 * ((i + back) % 5)) * 100
            _order(customer, code, sent_at + timedelta(hours=4), fen, orders + 1, to_pay)
            orders += 1
            _talk(app, group.chat_id, [u for u, _ in buyers], day)
    db.session.commit()
    _pay(to_pay)
    return len(groups) * len(SEND_DAYS_AGO), orders


def _talk(app: Flask, chat_id: str, userids: list[str], day: date) -> None:
    """Members say something in the emulator's group on the send day (more) and the three
    days before (less), as ``POST /_sandbox/control/chat-messages`` records it."""
    from app.wechat.sandbox.wecom_statistic import record_messages

    sandbox = app.extensions.get("siyu_sandbox")
    if sandbox is None:
        return
    for back, count in ((0, 6), (1, 2), (2, 2), (3, 1)):
        ts = _at(day - timedelta(days=back), 20).timestamp()
        for userid in userids[:3]:
            try:
                record_messages(sandbox, chat_id, userid, count, ts=ts)
            except KeyError:  # a group the emulator does not have
                return


def _step_sends(today: date) -> tuple[int, int]:
    """The first-purchase journey's first step delivered 3 days ago; two orders."""
    from sqlalchemy import select

    from app.extensions import db
    from community.models import GroupMember
    from community.models.journeys import S_SENT, Journey, JourneyEnrolment, JourneySend
    from franchise.models import Customer, Guide
    from franchise.services.customers import guide_share_code

    journey = db.session.scalars(
        select(Journey).where(Journey.trigger == "first_purchase").order_by(Journey.id)
    ).first()
    customers = db.session.scalars(
        select(Customer).join(GroupMember, GroupMember.customer_id == Customer.id)
        .where(Customer.guide_id.is_not(None)).distinct().order_by(Customer.id).limit(3)
    ).all()  # fmt: skip
    if journey is None or not journey.steps or not customers:
        return 0, 0
    step, day = journey.steps[0], today - timedelta(days=STEP_DAYS_AGO)
    sent_at, orders, to_pay = _at(day, 11), 0, list[tuple[int, datetime]]()
    for n, customer in enumerate(customers):
        enrolment = JourneyEnrolment(journey_id=journey.id, customer_id=customer.id,
                                     occurrence=DEMO_KEY, started_on=day,
                                     franchisee_id=customer.franchisee_id,
                                     store_id=customer.store_id,
                                     guide_id=customer.guide_id)  # fmt: skip
        db.session.add(enrolment)
        db.session.flush()
        db.session.add(JourneySend(enrolment_id=enrolment.id, journey_id=journey.id,
                                   step_id=step.id, customer_id=customer.id,
                                   franchisee_id=customer.franchisee_id,
                                   store_id=customer.store_id, guide_id=customer.guide_id,
                                   due_on=day, deadline=day, status=S_SENT, sent_on=day,
                                   confirmed_at=sent_at, created_at=sent_at))  # fmt: skip
        if n < 2:
            code = guide_share_code(db.session.get_one(Guide, customer.guide_id)).code
            paid_at = sent_at + timedelta(days=1, hours=n)
            _order(customer, code, paid_at, (2680 + 900 * n) * 100, 900 + n, to_pay)
            orders += 1
    db.session.commit()
    _pay(to_pay)
    return len(customers), orders


def seed_reports(app: Flask) -> list[str]:
    """Past sends with orders through their share codes, the members' messages and one
    read-back of WeCom's statistics (see the module docstring)."""
    from sqlalchemy import select

    from app.clock import shanghai_day
    from app.extensions import db
    from app.wechat.errors import WeChatError
    from community.models import SendBatch
    from community.services import chat_statistics

    if db.session.scalar(select(SendBatch.id).where(SendBatch.dedupe_key.like(f"{DEMO_KEY}:%"))):
        return ["community reports: already seeded"]
    today = shanghai_day()
    sends, orders = _group_sends(app, today)
    if not sends:
        return []
    steps, step_orders = _step_sends(today)
    read = "no emulator"
    if "siyu_sandbox" in app.extensions:
        try:
            read = f"{chat_statistics.read_back()['rows']} statistics rows read"
        except WeChatError as exc:  # the demo goes on without the activity figures
            read = f"statistics not read ({exc})"
    return [
        f"community reports: {sends} past group sends with {orders} orders, "
        f"{steps} journey-step sends with {step_orders} orders, {read}"
    ]
