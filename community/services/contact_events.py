"""``change_external_contact`` callbacks: keep contacts and follows current between syncs,
and welcome a new contact within WeCom's 20 seconds.

The event arrives verified (signature, corp id, replay window: ``app.wechat.callbacks``);
what it says is still believed only when ``externalcontact/get`` shows it:

* ``add_external_contact`` / ``add_half_external_contact`` / ``edit_external_contact``:
  the read lists the event's ``UserID`` among ``follow_user``; the contact and the follow
  are upserted from the read (remark, add time, add way, state);
* ``del_external_contact`` (the guide deleted the customer): the read no longer lists
  the guide (or answers 84061, no member follows the contact); the follow is flagged
  ``deleted_by_guide``;
* ``del_follow_user`` (the customer deleted the guide): WeCom keeps the guide's side, so
  the read cannot show it; the verified event flags the follow ``deleted_by_customer``
  (a follow Siyu did not know yet is kept, flagged, and filled in by the next sync);
* ``transfer_fail``: nothing changes here; the ``CONTACT_TRANSFER_FAILED`` hook is told
  (hand-over reads the outcome).

A read that does not show the change yet (WeCom applies part of it asynchronously; a
forged event never shows) is re-read through the outbox (``RESYNC_KIND``) a few seconds
later, ``RESYNC_ATTEMPTS`` times at most; then the row is dead with the event kept and the
guide's next full sync repairs. A follow of a userid that is not a guide yet is kept with
no guide and linked when the guide is synced.

After an add commits: the contact is linked to its customer by unionid
(``link_by_unionid``), bound through the way its ``state`` names (``bind_through_way``),
and welcomed: ``send_welcome_msg`` is called at once (the fast path, inside WeCom's 20 s);
only when WeCom is busy or unreachable does an outbox message retry it, and that message
is dropped once the code is past its 20 s. A re-delivered event finds the follow already
welcomed and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app

from app.clock import utcnow
from app.extensions import db, hooks
from app.outbox import GiveUp, OutboxMessage, RetryLater, enqueue
from app.wechat import wecom_contacts
from app.wechat.errors import WeChatAPIError, WeChatError
from community.models.contacts import (
    WELCOME_FAILED,
    WELCOME_SENT,
    WELCOME_STALE,
    ContactFollow,
    WecomContact,
)
from community.services.contact_sync import upsert_contact
from community.services.contact_ways import bind_through_way
from community.services.contacts import (
    contact_by_external_userid,
    cut,
    follow_of,
    guide_for_userid,
    link_by_unionid,
    mark_deleted,
    set_follow_guide,
    upsert_follow,
)

log = logging.getLogger("siyu.community")

RESYNC_KIND = "community.contact_resync"
WELCOME_KIND = "community.contact_welcome"
RESYNC_DELAY = 2.0
RESYNC_ATTEMPTS = 10
ADDS = ("add_external_contact", "add_half_external_contact")
READS = (*ADDS, "edit_external_contact")
# listener(userid, external_userid, fail_reason) on a transfer_fail event
CONTACT_TRANSFER_FAILED = "community.contact_transfer_failed"


class NotYetVisible(Exception):
    """WeCom's read does not show the event's change yet."""


def handle_change_external_contact(event: dict) -> None:
    """Subscriber of ``change_external_contact``; raises only for a WeChat outage."""
    kind = str(event.get("ChangeType") or "")
    if not event.get("UserID") or not event.get("ExternalUserID"):
        log.warning("change_external_contact %s without UserID / ExternalUserID", kind)
        return
    received = _event_time(event)
    if kind == "del_follow_user":
        customer_deleted(event)
    elif kind == "transfer_fail":
        for listener in list(hooks(CONTACT_TRANSFER_FAILED)):
            listener(event["UserID"], event["ExternalUserID"], event.get("FailReason") or "")
    elif kind in READS or kind == "del_external_contact":
        try:
            follow_id = apply_event(event)
        except (NotYetVisible, WeChatError) as exc:
            _resync_later(event, exc)
            return
        if kind in ADDS and follow_id is not None:
            after_add(follow_id, event.get("WelcomeCode"), received)
    else:
        log.info("change_external_contact %s ignored", kind)


def _event_time(event: dict) -> datetime:
    """When WeCom made the event (its CreateTime), never later than now: the 20 s of the
    welcome code are counted from it."""
    now = utcnow()
    try:
        created = datetime.fromtimestamp(int(event.get("CreateTime") or 0), UTC)
    except (TypeError, ValueError, OverflowError):
        return now
    return min(created, now) if created.year > 2000 else now


def apply_event(event: dict) -> int | None:
    """Read the contact and apply the event when the read shows it (commits); returns the
    follow id. Raises ``NotYetVisible`` or ``WeChatError``."""
    kind = event["ChangeType"]
    userid, external_userid = cut(event["UserID"], 64), cut(event["ExternalUserID"], 64)
    db.session.commit()  # no transaction open while WeCom answers
    try:
        detail = wecom_contacts.get_contact(external_userid)
    except WeChatAPIError as exc:
        if exc.errcode != wecom_contacts.NOT_EXTERNAL_CONTACT:
            raise
        detail = {}
    info = next((f for f in detail.get("follow_user") or [] if f.get("userid") == userid), None)
    if kind == "del_external_contact":
        if info is not None:
            raise NotYetVisible("the guide still follows the contact")
        follow = follow_of(userid, external_userid)
        if follow is not None and mark_deleted(follow, by_customer=False):
            db.session.commit()
        return follow.id if follow is not None else None
    if info is None:
        raise NotYetVisible("WeCom does not list the follow yet")
    contact, _ = upsert_contact(detail.get("external_contact") or {})
    follow, _ = upsert_follow(contact, info)
    db.session.commit()
    return follow.id


def customer_deleted(event: dict) -> None:
    """``del_follow_user``: flag the follow deleted by the customer (kept when unknown)."""
    userid, external_userid = cut(event["UserID"], 64), cut(event["ExternalUserID"], 64)
    follow = follow_of(userid, external_userid)
    if follow is None:
        contact = contact_by_external_userid(external_userid)
        if contact is None:
            contact = WecomContact(external_userid=external_userid, name="")
            db.session.add(contact)
            db.session.flush()
        follow = ContactFollow(
            contact_id=contact.id, external_userid=external_userid, userid=userid
        )
        set_follow_guide(follow, guide_for_userid(userid))
        db.session.add(follow)
    mark_deleted(follow, by_customer=True, at=_event_time(event))
    db.session.commit()


def _resync_later(event: dict, exc: Exception) -> None:
    db.session.rollback()
    key = ":".join(
        str(event.get(k) or "")
        for k in ("ChangeType", "UserID", "ExternalUserID", "CreateTime", "WelcomeCode")
    )
    enqueue(RESYNC_KIND, {"event": event}, f"contact-resync:{key}"[:191], delay_seconds=2)
    db.session.commit()
    log.info("contact event re-read later (%s): %s", event.get("ChangeType"), exc)


def resync_contact(message: OutboxMessage) -> dict:
    """Outbox handler: apply the kept event once WeCom's read shows it."""
    event = (message.payload or {}).get("event") or {}
    try:
        follow_id = apply_event(event)
    except (NotYetVisible, WeChatError) as exc:
        if message.attempts >= RESYNC_ATTEMPTS:
            raise GiveUp(f"not visible after {message.attempts} reads: {exc}") from exc
        raise RetryLater(str(exc), delay=RESYNC_DELAY * message.attempts) from exc
    if event.get("ChangeType") in ADDS and follow_id is not None:
        after_add(follow_id, event.get("WelcomeCode"), _event_time(event))
    return {"follow_id": follow_id}


# --- after an add ---------------------------------------------------------------------------


def after_add(follow_id: int, welcome_code: str | None, received: datetime) -> None:
    """Link, bind and welcome a contact just added (each step commits on its own)."""
    follow = db.session.get(ContactFollow, follow_id)
    if follow is None:
        return
    if welcome_code and follow.welcome_status is None:
        welcome(follow, welcome_code, received + timedelta(seconds=wecom_contacts.WELCOME_SECONDS))
    unionid = follow.contact.unionid if follow.contact else None
    if unionid:
        link_by_unionid(unionid)
        follow = db.session.get(ContactFollow, follow_id) or follow
    bind_through_way(follow)


def welcome_text(follow: ContactFollow) -> str:
    """The welcome message: ``COMMUNITY_WELCOME_TEXT`` with the guide and store names, or
    ``COMMUNITY_WELCOME_TEXT_NO_GUIDE`` when the member is not a known guide."""
    guide = follow.guide
    if guide is None:
        return current_app.config["COMMUNITY_WELCOME_TEXT_NO_GUIDE"]
    template = current_app.config["COMMUNITY_WELCOME_TEXT"]
    return template.format(guide=guide.name, store=guide.store_name).strip()


def welcome(follow: ContactFollow, code: str, deadline: datetime) -> str:
    """Send the welcome message now (the fast path); WeCom busy or unreachable → an outbox
    retry that is dropped past ``deadline``. Commits; returns the follow's outcome."""
    status = _send_welcome(follow, code, deadline)
    if status is None:
        enqueue(
            WELCOME_KIND,
            {"follow_id": follow.id, "code": code, "deadline": deadline.timestamp()},
            f"contact-welcome:{code}"[:191],
            delay_seconds=1,
        )
    db.session.commit()
    return follow.welcome_status or "queued"


def _send_welcome(follow: ContactFollow, code: str, deadline: datetime) -> str | None:
    """One send; sets and returns the follow's welcome status, None to try again."""
    if utcnow() > deadline:
        follow.welcome_status = WELCOME_STALE
        return WELCOME_STALE
    text, follow_id = welcome_text(follow), follow.id
    db.session.commit()  # no transaction open while WeCom answers
    try:
        wecom_contacts.send_welcome_msg(code, text)
        status = WELCOME_SENT
    except WeChatAPIError as exc:
        if exc.errcode == wecom_contacts.WELCOME_BUSY:
            return None
        status = {
            wecom_contacts.WELCOME_DELIVERED: WELCOME_SENT,
            wecom_contacts.WELCOME_CODE_INVALID: WELCOME_STALE,  # past WeCom's 20 seconds
        }.get(exc.errcode, WELCOME_FAILED)
        log.info("welcome of follow %s: %s %s", follow_id, exc.errcode, exc.errmsg)
    except WeChatError:
        return None
    follow = db.session.get(ContactFollow, follow_id) or follow
    follow.welcome_status = status
    return status


def send_queued_welcome(message: OutboxMessage) -> dict:
    """Outbox handler: retry a welcome WeCom was busy for; dropped once the code is stale."""
    payload = message.payload or {}
    follow = db.session.get(ContactFollow, int(payload.get("follow_id") or 0))
    if follow is None or follow.welcome_status is not None:
        return {"skipped": True}
    deadline = datetime.fromtimestamp(float(payload.get("deadline") or 0), UTC)
    status = _send_welcome(follow, str(payload.get("code") or ""), deadline)
    db.session.commit()
    if status is None:
        raise RetryLater("WeCom busy or unreachable", delay=1)
    return {"welcome": status}
