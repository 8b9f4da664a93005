"""The points-expiry reminder through the community's 1:1 pushes.

franchise's nightly job hands the members whose points expire in HQ's ``reminder_days`` to
the hook ``franchise.points_expiring`` as ``[(customer, points, on)]``;
``on_points_expiring`` (added in ``community.wiring.journeys``) enrols them in HQ's
points journeys (trigger ``points_expiring``; ``points_wakeup`` for dormant members, RFM
label 沉睡, when HQ has one): the first active journey of each trigger, once per member
and expiry date (occurrence ``p<expiry day>``, the enrolment's unique key), its first step
due ``days_before`` the expiry (never before today). The journey's sends then go like
every other journey's: the owning guide's ``add_msg_template`` (``chat_type=single``),
counted against the customer's receiving limit (``journey_sends.dispatch``).

A member who is nobody's WeCom contact gets the mini-program subscribe message
(``subscribeMessage.send``, template ``MP_TEMPLATE_POINTS_EXPIRING``: points, expiry day,
a note) instead (``send_notice``, through the outbox); when WeChat refuses it (43101: no
subscription left) the send is listed for the guide on the Today page
(``journey_sends.guide_sends``) with the reason "tell them yourself".

``retry_refused(day)`` (the hook ``franchise.points_reminded``, after each daily reminder
run): a refused message (listed for the guide) is tried once more while its points have
not expired, since the customer may have subscribed since (WeChat tells the server
nothing of a one-time consent: the send is the only way to find out). The retry is a
conditional UPDATE that marks the send (``notice_retried_at``) and queues it again with
its outbox message in one transaction, so a second run, or two racing, retry it once; a
second refusal leaves it with the guide for good.

``figures(on)``: for HQ's member settings page (the hook ``franchise.points_reminder
_figures``), the reminders of one expiry day by how they went.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.clock import shanghai_day, utcnow
from app.db import committing
from app.extensions import db
from app.outbox import GiveUp, enqueue
from app.wechat.errors import WeChatAPIError
from app.wechat.miniprogram import send_subscribe_message
from community.models.journeys import (
    POINTS_EXPIRING,
    POINTS_TRIGGERS,
    POINTS_WAKEUP,
    S_PENDING,
    S_QUEUED,
    S_SENT,
    S_SKIPPED,
    S_WAITING,
    Journey,
    JourneyEnrolment,
    JourneySend,
)
from community.services.journey_sends import NOTICE_KIND, R_BY_MESSAGE, R_TELL, finish_send
from community.services.journey_triggers import Candidate, enrol
from community.services.tag_links import customers_with_tag
from franchise.models import Customer, Member
from franchise.services.points_expiry import expiring
from franchise.services.value_tiers import LABEL_ASLEEP

NOTICE_PAGE = "pages/member/points"
FINAL_ERRCODES = {40003, 40037, 41030, 43101, 47003}  # sending again changes nothing


def occurrence(on: date) -> str:
    """The enrolment's occurrence for an expiry day: one reminder per member and day."""
    return f"p{on.isoformat()}"


def _journeys() -> dict[str, Journey]:
    """The first active points journey (with steps) of each trigger."""
    out: dict[str, Journey] = {}
    for journey in db.session.scalars(
        select(Journey)
        .where(Journey.active.is_(True), Journey.trigger.in_(POINTS_TRIGGERS))
        .order_by(Journey.id)
    ):
        if journey.steps:
            out.setdefault(journey.trigger, journey)
    return out


def on_points_expiring(rows: list[tuple[int, int, date]]) -> int:
    """``franchise.points_expiring`` listener: enrol each member once per expiry day in
    the points journey (the wake-up one for a dormant member when HQ has one); commits;
    returns the new enrolments."""
    journeys = _journeys()
    if not journeys or not rows:
        return 0
    ids = {row[0] for row in rows}
    asleep = set(
        db.session.scalars(
            select(Customer.id).where(
                Customer.id.in_(ids), Customer.tier_label.contains(LABEL_ASLEEP)
            )
        )
    )
    today = shanghai_day()
    found: dict[str, list[Candidate]] = {trigger: [] for trigger in journeys}
    for customer_id, _points, on in rows:
        wake = customer_id in asleep and POINTS_WAKEUP in journeys
        trigger = POINTS_WAKEUP if wake else POINTS_EXPIRING
        journey = journeys.get(trigger)
        if journey is None:
            continue
        start = today  # no days_before: when franchise reminds (HQ's reminder_days)
        if journey.days_before is not None:
            start = max(today, on - timedelta(days=journey.days_before))
        found[trigger].append((customer_id, occurrence(on), start))
    new = 0
    with committing(db.session):
        for trigger, candidates in found.items():
            journey = journeys[trigger]
            if journey.tag_id is not None:
                tagged = set(customers_with_tag(journey.tag_id))
                candidates = [c for c in candidates if c[0] in tagged]
            new += enrol(journey, candidates)
    return new


def notice_data(points: int, on: date) -> dict[str, str]:
    """The subscribe template's values, each inside its keyword type's limit."""
    return {
        "number1": str(points),
        "date2": f"{on.year}年{on.month}月{on.day}日",
        "thing3": "积分即将过期，请及时使用",
    }


def send_notice(message) -> dict | None:
    """Outbox handler: the subscribe message for one queued points send without a WeCom
    contact; ``sent`` after, or listed for the guide when WeChat refuses it for good."""
    send = db.session.get(JourneySend, int((message.payload or {}).get("send_id") or 0))
    if send is None or send.status != S_QUEUED or send.reason != R_BY_MESSAGE:
        db.session.rollback()
        return None  # gone, or already told (a retry after a crash)
    customer = db.session.get(Customer, send.customer_id)
    member = db.session.scalars(
        select(Member).where(Member.customer_id == send.customer_id)
    ).first()
    soon = expiring(member, limit=1) if customer is not None and member is not None else []
    send_id = send.id
    if customer is None or not soon:
        finish_send(send_id, S_SKIPPED, None)  # nothing left to lose: spent meanwhile
        return None
    data, openid = notice_data(soon[0]["points"], soon[0]["on"]), customer.openid
    db.session.commit()  # no transaction open during the WeChat call
    try:
        send_subscribe_message(
            openid,
            current_app.config["MP_TEMPLATE_POINTS_EXPIRING"],
            data,
            page=NOTICE_PAGE,
        )
    except WeChatAPIError as exc:
        if exc.errcode in FINAL_ERRCODES:
            finish_send(send_id, S_SKIPPED, R_TELL)
            raise GiveUp(f"subscribe message refused: {exc.errcode}") from exc
        raise
    finish_send(send_id, S_SENT, R_BY_MESSAGE)
    return {"send_id": send_id}


def _of_points_journeys(stmt):
    """``stmt`` over journey sends, joined to their enrolment and journey, limited to the
    points journeys."""
    return (
        stmt.join(JourneyEnrolment, JourneyEnrolment.id == JourneySend.enrolment_id)
        .join(Journey, Journey.id == JourneyEnrolment.journey_id)
        .where(Journey.trigger.in_(POINTS_TRIGGERS))
    )


def _requeue(send_id: int) -> bool:
    """Queue a refused send once more with its outbox message, unless retried already
    (a conditional UPDATE: a second run, or a racing one, moves nothing); no commit."""
    moved = db.session.execute(
        update(JourneySend)
        .where(
            JourneySend.id == send_id,
            JourneySend.status == S_SKIPPED,
            JourneySend.notice_retried_at.is_(None),
        )
        .values(status=S_QUEUED, reason=R_BY_MESSAGE, notice_retried_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    if moved:
        enqueue(NOTICE_KIND, {"send_id": send_id}, f"points-notice-retry:{send_id}")
    return bool(moved)


def retry_refused(day: date) -> int:
    """Queue once more each refused points message whose expiry is after ``day``;
    commits; the sends retried."""
    refused = _of_points_journeys(select(JourneySend.id)).where(
        JourneySend.status == S_SKIPPED,
        JourneySend.reason == R_TELL,
        JourneySend.notice_retried_at.is_(None),
        JourneyEnrolment.occurrence > occurrence(day),  # p<ISO day>: ordered as days
    )
    with committing(db.session):
        retried = [send_id for send_id in db.session.scalars(refused).all() if _requeue(send_id)]
    return len(retried)


def figures(on: date) -> dict[str, int]:
    """The reminders of the expiry day ``on``: members enrolled, sent through WeCom (the
    guide's task created or confirmed), as a mini-program message, still waiting or
    queued, left to the guide (no contact, no subscription), missed."""
    rows = db.session.execute(
        _of_points_journeys(select(JourneySend.status, JourneySend.reason, func.count()))
        .where(JourneyEnrolment.occurrence == occurrence(on))
        .group_by(JourneySend.status, JourneySend.reason)
    ).all()
    tally: Counter = Counter()
    for status, reason, n in rows:
        if reason == R_BY_MESSAGE and status == S_SENT:
            tally["messaged"] += n
        elif status in (S_PENDING, S_SENT):
            tally["wecom"] += n
        elif status in (S_WAITING, S_QUEUED):
            tally["waiting"] += n
        elif status == S_SKIPPED:
            tally["for_guide"] += n
        else:
            tally["missed"] += n
    enrolled = db.session.scalar(
        select(func.count(JourneyEnrolment.id))
        .join(Journey, Journey.id == JourneyEnrolment.journey_id)
        .where(Journey.trigger.in_(POINTS_TRIGGERS), JourneyEnrolment.occurrence == occurrence(on))
    )
    keys = ("wecom", "messaged", "waiting", "for_guide", "missed")
    return {"enrolled": int(enrolled or 0)} | {k: tally[k] for k in keys}
