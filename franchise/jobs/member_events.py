"""Outbox handlers of member events: the mini-program subscribe message (template
``MP_TEMPLATE_EVENT_CHANGED``: the event, its day, its place, what changed) telling a
member who had accepted that HQ cancelled the event (``send_cancel_notice``) or moved its
time or place (``send_change_notice``, the new time and place), sent after the commit.
The same path as the service tickets' ready notice: a refusal sending again cannot
change (43101 no subscription left, a bad openid, template, page or value) gives up, and
the invitation keeps ``notified_at`` empty (the guide sees it on the customer page); an
unreachable WeChat is retried by the outbox."""

from __future__ import annotations

from flask import current_app

from app.clock import SHANGHAI, utcnow
from app.extensions import db
from app.outbox import GiveUp
from app.wechat.errors import WeChatAPIError
from app.wechat.miniprogram import send_subscribe_message
from franchise.event_schemas import place_of
from franchise.jobs.aftersales import FINAL_ERRCODES
from franchise.models import Customer
from franchise.models.member_events import ACCEPTED, CANCELLED, EventInvitation

INVITATIONS_PAGE = "pages/member/invitations"


def cancel_notice_data(invitation: EventInvitation, phrase: str = "已取消") -> dict[str, str]:
    """The template's values (the event as it stands now), each inside its keyword type's
    limit."""
    starts = invitation.event.starts_at.astimezone(SHANGHAI)
    return {
        "thing1": invitation.event.name[:20],
        "time2": starts.strftime("%Y年%m月%d日 %H:%M"),
        "thing3": place_of(invitation.event)[:20],
        "phrase4": phrase[:5],
    }


def _send(openid: str, data: dict[str, str]) -> None:
    """The subscribe message; a refusal sending again cannot change gives up."""
    try:
        send_subscribe_message(
            openid, current_app.config["MP_TEMPLATE_EVENT_CHANGED"], data, page=INVITATIONS_PAGE
        )
    except WeChatAPIError as exc:
        if exc.errcode in FINAL_ERRCODES:
            raise GiveUp(f"subscribe message refused: {exc.errcode}") from exc
        raise


def send_cancel_notice(message) -> dict | None:
    """Outbox handler for ``EVENT_CANCELLED_KIND``."""
    raw = (message.payload or {}).get("invitation_id")
    invitation = db.session.get(EventInvitation, raw if isinstance(raw, int) else 0)
    if invitation is None or invitation.status != CANCELLED or invitation.notified_at:
        db.session.rollback()
        return None  # gone, or already told (a retry after a crash)
    customer = db.session.get(Customer, invitation.customer_id)
    assert customer is not None  # a foreign key
    invitation_id, openid, data = invitation.id, customer.openid, cancel_notice_data(invitation)
    db.session.commit()  # no transaction open during the WeChat call
    _send(openid, data)
    invitation = db.session.get(EventInvitation, invitation_id)
    assert invitation is not None
    invitation.notified_at = utcnow()
    db.session.commit()
    return {"invitation_id": invitation_id}


def send_change_notice(message) -> dict | None:
    """Outbox handler for ``EVENT_CHANGED_KIND``: the event's new time and place to a
    member still accepted (one who declined since, or an event cancelled since, is not
    told). The outbox's key makes it one message per change."""
    payload = message.payload or {}
    raw = payload.get("invitation_id")
    invitation = db.session.get(EventInvitation, raw if isinstance(raw, int) else 0)
    if invitation is None or invitation.status != ACCEPTED:
        db.session.rollback()
        return None
    customer = db.session.get(Customer, invitation.customer_id)
    assert customer is not None  # a foreign key
    openid = customer.openid
    data = cancel_notice_data(invitation, str(payload.get("phrase") or "已变更"))
    db.session.commit()  # no transaction open during the WeChat call
    _send(openid, data)
    return {"invitation_id": invitation.id}
