"""Journey sends: each due step becomes a 1:1 ``add_msg_template`` (``chat_type=single``)
to the customer's external contact, created for the owning guide, who confirms it in
WeCom; the outcome is read back like a group send's.

WeCom (server API doc 92135, 创建企业群发): ``chat_type`` ``single`` sends to the
``external_userid`` list; the call makes a task the ``sender`` confirms; each customer
receives at most as many mass messages per calendar month as the month has days (7 a week
or 1 a day when the admin chose so). ``get_groupmsg_send_result`` answers per
``external_userid`` a status: 0 not sent, 1 sent, 2 not a friend, 3 receiving limit.

Rules here:

- ``dispatch(day)``: every waiting send due by ``day`` is checked under a lock of its
  customer's row: no active follow of the customer's guide → ``skipped`` ("no WeCom
  contact"); the customer's counted sends in the policy's period already at the limit (or
  Siyu's daily cap reached) → stays waiting (deferred) while its window lasts, else
  ``missed`` ("receiving limit"); past its deadline → ``missed`` ("window passed").
  Otherwise it is ``queued`` and counted on ``day``, and an outbox message makes the call
  after the commit. A points reminder (``POINTS_TRIGGERS``) without a contact is queued
  for the mini-program subscribe message instead (``points_reminders.send_notice``; not
  a WeCom mass message, so not counted). The policy is ``receiving_limit.policy()``, the planner's.
- ``send_one`` (outbox): one call, msgid recorded → ``pending``; 41048 / a fail_list
  naming the customer → ``missed`` ("not a friend").
- ``read_back()``: the guide confirmed (task status 2) → per-customer result: 1 ``sent``,
  2 ``missed`` (not a friend), 3 ``missed`` (WeCom's receiving limit);
- ``remind_unconfirmed()``: ``remind_groupmsg_send`` for a send its guide has not
  confirmed, at most 3 times, 2 hours apart (WeCom: 3 reminders per msgid in 24 hours).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from app import outbox
from app.clock import shanghai_day, utcnow
from app.db import committing, lock_row
from app.extensions import db, get_redis
from app.web.i18n import N_
from app.wechat import wecom
from app.wechat.errors import WeChatAPIError, WeChatError, WeChatRateLimited, as_retry_later
from community.models.contacts import ContactFollow, WecomContact
from community.models.content import ContentPost
from community.models.journeys import (
    COUNTED,
    POINTS_TRIGGERS,
    S_MISSED,
    S_PENDING,
    S_QUEUED,
    S_SENT,
    S_SKIPPED,
    S_WAITING,
    JourneySend,
)
from community.services import media, post_links, receiving_limit
from community.services.delivery import (
    MAX_REMINDERS,
    REMIND_EVERY,
    THROTTLE_KEY,
    remind,
    tasks_to_read,
)
from community.services.planner_core import period_limit, period_of
from franchise.models import Customer, Guide

SEND_KIND = "community.journey_send"
NOTICE_KIND = "community.points_notice"  # points_reminders.send_notice
UPCOMING = timedelta(days=7)  # the guide sees the sends due this far ahead
NO_MSG_TO_SEND = 41048  # WeCom 全局错误码: 无可发送的客户
R_NO_CONTACT, R_DEFERRED, R_LIMIT = "no_contact", "deferred_limit", "receiving_limit"
R_WINDOW, R_NOT_FRIEND, R_WECOM = "window_passed", "not_a_friend", "wecom_error"
R_BY_MESSAGE, R_TELL = "mp_message", "tell_in_person"  # the points reminder without a contact
REASON_LABELS = {
    R_NO_CONTACT: N_("No WeCom contact"),
    R_DEFERRED: N_("Deferred: receiving limit reached today"),
    R_LIMIT: N_("Receiving limit reached until the window closed"),
    R_WINDOW: N_("Window passed"),
    R_NOT_FRIEND: N_("Not a friend of the guide"),
    R_WECOM: N_("WeCom refused the send"),
    R_BY_MESSAGE: N_("Sent as a mini-program message"),
    R_TELL: N_("No WeCom contact or mini-program subscription: tell them yourself"),
}
STATUS_LABELS = {
    S_WAITING: N_("Waiting"),
    S_QUEUED: N_("Queued"),
    S_PENDING: N_("Awaiting the guide"),
    S_SENT: N_("Sent"),
    S_SKIPPED: N_("Skipped"),
    S_MISSED: N_("Missed"),
}
WECOM_RESULT = {1: (S_SENT, None), 2: (S_MISSED, R_NOT_FRIEND), 3: (S_MISSED, R_LIMIT)}


def contact_of(customer: Customer) -> tuple[str, str] | None:
    """``(sender userid, external_userid)`` of the customer's guide's active follow."""
    guide = db.session.get(Guide, customer.guide_id) if customer.guide_id else None
    if guide is None or not guide.wecom_userid:
        return None
    row = db.session.execute(
        select(ContactFollow.userid, ContactFollow.external_userid)
        .join(WecomContact, WecomContact.id == ContactFollow.contact_id)
        .where(
            WecomContact.customer_id == customer.id,
            ContactFollow.userid == guide.wecom_userid,
            ContactFollow.deleted_by_customer.is_(False),
            ContactFollow.deleted_by_guide.is_(False),
        )
    ).first()
    return None if row is None else (row[0], row[1])


def counted(customer_id: int, first: date, last: date) -> int:
    """The customer's sends counted against the receiving limit on days first..last."""
    return int(
        db.session.scalar(
            select(func.count()).where(
                JourneySend.customer_id == customer_id,
                JourneySend.status.in_(COUNTED),
                JourneySend.sent_on >= first,
                JourneySend.sent_on <= last,
            )
        )
        or 0
    )


def room_on(customer_id: int, day: date, policy: str, cap: int) -> bool:
    """True when one more send to the customer on ``day`` stays inside the policy's
    period limit and Siyu's daily cap."""
    first, last = period_of(policy, day)
    if counted(customer_id, first, last) >= period_limit(policy, day):
        return False
    return counted(customer_id, day, day) < cap


def _settle(send: JourneySend, status: str, reason: str | None) -> None:
    send.status, send.reason = status, reason


def dispatch(day: date | None = None) -> dict:
    """Queue every send due by ``day`` that fits; defer, skip or miss the rest (one commit)."""
    day = day or shanghai_day()
    policy, cap = receiving_limit.policy(), receiving_limit.daily_cap()
    tally = {S_QUEUED: 0, S_SKIPPED: 0, S_MISSED: 0, R_DEFERRED: 0}
    try:
        ids = db.session.scalars(
            select(JourneySend.id)
            .where(JourneySend.status == S_WAITING, JourneySend.due_on <= day)
            .order_by(JourneySend.customer_id, JourneySend.due_on, JourneySend.id)
        ).all()
        for send_id in ids:
            send = db.session.get(JourneySend, send_id)
            assert send is not None  # listed just now
            lock_row(db.session, Customer, send.customer_id)
            db.session.refresh(send)
            if send.status != S_WAITING:
                continue
            customer = db.session.get(Customer, send.customer_id)
            assert customer is not None  # a send's customer (foreign key)
            outcome = _decide(send, customer, day, policy, cap)
            tally[outcome] += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return {"queued": tally[S_QUEUED], "skipped": tally[S_SKIPPED], "missed": tally[S_MISSED],
            "deferred": tally[R_DEFERRED]}  # fmt: skip


def _decide(send: JourneySend, customer: Customer, day: date, policy: str, cap: int) -> str:
    if send.deadline < day:
        _settle(send, S_MISSED, R_WINDOW)
        return S_MISSED
    contact = contact_of(customer)
    if contact is None and send.step.journey.trigger in POINTS_TRIGGERS:
        _settle(send, S_QUEUED, R_BY_MESSAGE)  # the mini-program message, not WeCom's limit
        outbox.enqueue(NOTICE_KIND, {"send_id": send.id}, f"points-notice:{send.id}")
        return S_QUEUED
    if contact is None:
        _settle(send, S_SKIPPED, R_NO_CONTACT)
        return S_SKIPPED
    if not room_on(customer.id, day, policy, cap):
        if day < send.deadline:
            send.reason = R_DEFERRED
            return R_DEFERRED
        _settle(send, S_MISSED, R_LIMIT)
        return S_MISSED
    send.sender_userid, send.external_userid = contact
    send.guide_id, send.store_id = customer.guide_id, customer.store_id
    send.franchisee_id = customer.franchisee_id
    send.sent_on = day
    _settle(send, S_QUEUED, None)
    outbox.enqueue(SEND_KIND, {"send_id": send.id}, f"journey-send:{send.id}")
    return S_QUEUED


def single_body(sender: str, external_userids: list[str], post: ContentPost) -> dict:
    """The ``add_msg_template`` body for a 1:1 send (``chat_type=single``), checked
    against the limits group sends share (text bytes, attachments)."""
    body = wecom.group_send_body(sender, [], post.text or "", list(post.attachments or []))
    body.pop("chat_id_list")
    body.update(chat_type="single", external_userid=list(external_userids))
    return body


def send_one(message) -> dict:
    """Outbox handler: one ``add_msg_template`` for one journey send; msgid after."""
    send = db.session.get(JourneySend, int(message.payload["send_id"]))
    if send is None:
        raise outbox.GiveUp("journey send is gone")
    if send.msgid or send.status != S_QUEUED:
        db.session.rollback()
        return {"skipped": True}
    post = send.step.post
    assert send.sender_userid and send.external_userid  # set when queued
    send_id, external = send.id, send.external_userid
    body = single_body(send.sender_userid, [external], post)
    body["attachments"] = post_links.carrying_code(body["attachments"], send.guide_id)
    db.session.commit()  # no transaction open while WeCom is called
    wait = get_redis().pttl(THROTTLE_KEY)
    if wait and wait > 0:
        raise outbox.RetryLater("WeCom rate limit: waiting", delay=wait / 1000.0)
    try:
        body["attachments"] = media.refresh_attachments(body["attachments"])
        result = wecom.add_msg_template(body)
    except WeChatAPIError as exc:
        reason = R_NOT_FRIEND if exc.errcode == NO_MSG_TO_SEND else R_WECOM
        finish_send(send_id, S_MISSED, reason)
        raise outbox.GiveUp(str(exc)) from exc
    except WeChatError as exc:
        if isinstance(exc, WeChatRateLimited):
            get_redis().set(THROTTLE_KEY, "1", px=int(exc.retry_after * 1000))
        retry = as_retry_later(exc)
        if retry is None:
            finish_send(send_id, S_MISSED, R_WECOM)
            raise outbox.GiveUp(str(exc)) from exc
        raise retry from exc
    if external in (result.get("fail_list") or []):
        finish_send(send_id, S_MISSED, R_NOT_FRIEND, msgid=result["msgid"])
    else:
        finish_send(send_id, S_PENDING, None, msgid=result["msgid"])
    return {"msgid": result["msgid"]}


def finish_send(send_id: int, status: str, reason: str | None, **values) -> None:
    with committing(db.session):
        send = db.session.get(JourneySend, send_id)
        assert send is not None  # loaded by the caller
        _settle(send, status, reason)
        for key, value in values.items():
            setattr(send, key, value)


def read_back(send_ids: list[int] | None = None) -> dict:
    """Read each pending send's task and, once its guide confirmed, the customer's result."""
    stmt = select(JourneySend.id, JourneySend.msgid, JourneySend.sender_userid).where(
        JourneySend.status == S_PENDING, JourneySend.msgid.is_not(None)
    )
    rows = tasks_to_read(stmt, JourneySend.id, send_ids)
    checked = confirmed = 0
    for send_id, msgid, sender in rows:
        assert msgid is not None  # selected is_not(None)
        try:
            results = wecom.task_results(msgid, sender or "")
        except WeChatError as exc:
            current_app.logger.warning("journey readback %s failed: %s", msgid, exc)
            continue
        checked += 1
        status = next((int(r.get("status", 0)) for r in results or []), 0)
        if status in WECOM_RESULT:
            outcome, reason = WECOM_RESULT[status]
            finish_send(send_id, outcome, reason, confirmed_at=utcnow())
            confirmed += 1
    return {"checked": checked, "confirmed": confirmed}


def guide_sends(day: date, limit: int = 50) -> list[dict]:
    """The caller's (scoped) journey sends to act on: waiting for the guide's
    confirmation, counted today, due in the next days, or a points reminder of the last
    days nobody could be sent (the guide tells the customer) — customer
    name, post, due day, status label and reason."""
    from app.auth.scope import scoped
    from app.i18n import tr

    rows = db.session.scalars(
        scoped(select(JourneySend), JourneySend)
        .where(
            (JourneySend.status == S_PENDING)
            | (JourneySend.sent_on == day)
            | ((JourneySend.status == S_WAITING) & (JourneySend.due_on <= day + UPCOMING))
            | ((JourneySend.reason == R_TELL) & (JourneySend.due_on >= day - UPCOMING))
        )
        .order_by(JourneySend.due_on, JourneySend.id)
        .limit(limit)
    ).all()
    return [
        {
            "id": r.id,
            "customer": r.customer.nickname,
            "title": r.step.post.title,
            "status": r.status,
            "due_on": r.due_on,
            "label": tr(STATUS_LABELS[r.status]),
            "reason": tr(REASON_LABELS[r.reason]) if r.reason else "",
        }
        for r in rows
    ]


def remind_unconfirmed() -> dict:
    """Remind the guides of their unconfirmed journey sends, like group sends: at most 3
    per send, at least 2 hours apart (``delivery.remind``)."""
    now = utcnow()
    due = db.session.execute(
        select(JourneySend.id, JourneySend.msgid).where(
            JourneySend.status == S_PENDING,
            JourneySend.msgid.is_not(None),
            JourneySend.remind_count < MAX_REMINDERS,
            (JourneySend.last_reminded_at.is_(None))
            | (JourneySend.last_reminded_at <= now - REMIND_EVERY),
        )
    ).all()
    db.session.commit()
    return {"reminded": remind(JourneySend, [(row[0], row[1]) for row in due])}
