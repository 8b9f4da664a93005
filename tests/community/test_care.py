"""Care triggers: birthday, purchase anniversary, maintenance due → one CareTask per
(customer, kind, due date) for the customer's guide; sent single-chat within the
per-customer daily quota; no external userid → manual on the guide's ``/m/care``."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app import outbox
from app.extensions import db
from community.models import CareTask, GroupMember
from community.services import care
from franchise.models import Customer, Guide, Order, Product
from tests.community.factories_delivery import gen_wgroup
from tests.fixtures.auth import login
from tests.franchise.factories_commerce import gen_customer
from tests.franchise.factories_jewellery import gen_sold_piece

DAY = date(2026, 11, 26)
_seq = itertools.count(1)


def gen_paid_order(customer, product, paid_at):
    n = next(_seq)
    order = Order(
        order_no=f"C{n:08d}",
        customer_id=customer.id,
        franchisee_id=customer.franchisee_id,
        store_id=customer.store_id,
        guide_id=customer.guide_id,
        status="completed",
        total_fen=100000,
        payable_fen=100000,
        paid_fen=100000,
        paid_at=paid_at,
    )
    db.session.add(order)
    db.session.flush()
    gen_sold_piece(order, product)  # care runs off the pieces a customer owns
    return order


def link_to_wecom(customer, group, userid):
    db.session.add(
        GroupMember(group_id=group.id, userid=userid, member_type=2, customer_id=customer.id)
    )
    db.session.commit()


def test_birthday_anniversary_and_maintenance_tasks(ctx, org):
    ring = Product(sku="RING1", name="古法金戒指", price_fen=100000, care_interval_days=180)
    db.session.add(ring)
    db.session.commit()
    birthday = gen_customer(org.fa, org.sa, org.ga, birthday=date(1990, 11, 26))
    gen_customer(org.fa, org.sa, org.ga, birthday=date(1990, 11, 27))
    anniversary = gen_customer(org.fa, org.sa, org.ga)
    gen_paid_order(anniversary, ring, datetime(2025, 11, 26, 2, 0, tzinfo=UTC))  # 10:00 Shanghai
    maintenance = gen_customer(org.fa, org.sa, org.ga)
    paid = datetime.combine(DAY - timedelta(days=180), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=3
    )
    gen_paid_order(maintenance, ring, paid)
    assert care.generate(DAY) == {"due": 3}
    tasks = {(t.customer_id, t.kind) for t in db.session.scalars(select(CareTask))}
    assert tasks == {
        (birthday.id, "birthday"),
        (anniversary.id, "anniversary"),
        (maintenance.id, "maintenance"),
    }
    assert {t.guide_id for t in db.session.scalars(select(CareTask))} == {org.ga}
    care.generate(DAY)  # again: still one per (customer, kind, day)
    assert db.session.scalar(select(func.count()).select_from(CareTask)) == 3
    assert {t.status for t in db.session.scalars(select(CareTask))} == {"manual"}


def test_sent_single_chat_within_daily_quota(ctx, org, app):
    from app.wechat.sandbox import sandbox_state
    from app.wechat.sandbox.wecom_contacts import seed_contacts

    sandbox = sandbox_state(app)
    ring = Product(sku="RING2", name="钻戒", price_fen=1, care_interval_days=1)
    db.session.add(ring)
    db.session.commit()
    customer = gen_customer(org.fa, org.sa, org.ga, birthday=date(1991, 11, 26))
    gen_paid_order(customer, ring, datetime(2026, 11, 24, 20, 0, tzinfo=UTC))  # 25th Shanghai
    group = gen_wgroup(db.session.get(Guide, org.ga))
    # the customer is the guide's WeCom contact (WeCom sends 1:1 only to one's contacts)
    (external_userid,) = seed_contacts(sandbox, "ann", [{"name": "客户"}])
    link_to_wecom(customer, group, external_userid)
    assert care.generate(DAY) == {"due": 2}
    assert care.dispatch(DAY) == {"queued": 1}  # quota: one a day per customer
    assert care.dispatch(DAY) == {"queued": 0}
    outbox.drain()
    sent = db.session.scalars(select(CareTask).where(CareTask.status == "sent")).all()
    assert len(sent) == 1
    task = sandbox.data["tasks"][sent[0].msgid]
    assert task["chat_type"] == "single" and task["sender"] == "ann"
    assert list(task["results"]) == [external_userid] and "生日快乐" in task["text"]


def test_guide_care_page_shows_own_reminders(client, org, app):
    with app.app_context():
        mine = gen_customer(org.fa, org.sa, org.ga, birthday=date(1990, 1, 1))
        mine_name = mine.nickname
        other = Customer(
            openid="o-other",
            franchisee_id=org.fb,
            store_id=org.sb,
            guide_id=org.gb,
            assignment_rule="t",
            nickname="别人的顾客",
            birthday=date(1990, 1, 1),
        )
        db.session.add(other)
        db.session.commit()
        from app.clock import shanghai_day

        today = shanghai_day()
        for c, guide, fr in ((mine, org.ga, org.fa), (other, org.gb, org.fb)):
            db.session.add(
                CareTask(
                    customer_id=c.id,
                    guide_id=guide,
                    franchisee_id=fr,
                    kind="birthday",
                    due_date=today,
                    status="manual",
                )
            )
        db.session.commit()
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/care").get_data(as_text=True)
    assert mine_name in html and "别人的顾客" not in html
    assert "生日快乐" in html and 'data-kind="birthday"' in html
