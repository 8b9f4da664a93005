"""Outbox handlers of the after-sales area (issue 19).

``send_ready_notice``: the mini-program subscribe message telling the customer their
serviced piece is ready for pickup, sent after the commit that marked it ready. A
refusal that sending again cannot change (43101: the customer has no subscription
left; 40003 / 40037 / 41030 / 47003: a bad openid, template, page or value) gives up
and is recorded on the ticket's history; an unreachable WeChat is retried by the outbox.
"""

from __future__ import annotations

from flask import current_app

from app.clock import SHANGHAI, utcnow
from app.extensions import db
from app.outbox import GiveUp
from app.wechat.errors import WeChatAPIError
from app.wechat.miniprogram import send_subscribe_message
from franchise.models import Customer, ServiceTicket, ServiceTicketEvent, Store
from franchise.services.service_tickets import kind_label

FINAL_ERRCODES = {40003, 40037, 41030, 43101, 47003}
READY_PAGE = "pages/service/detail"


def ready_notice_data(ticket: ServiceTicket, store: Store) -> dict[str, str]:
    """The template's values, each inside its keyword type's limit."""
    what = f"{kind_label(ticket.kind)} {ticket.item_description}".strip()
    return {
        "character_string1": ticket.ticket_no,
        "thing2": what[:20],
        "phrase3": "待取件",
        "thing4": store.name[:20],
        "time5": utcnow().astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M"),
    }


def send_ready_notice(message) -> dict | None:
    """Outbox handler for ``READY_NOTICE_KIND``."""
    ticket_id = (message.payload or {}).get("ticket_id")
    ticket = db.session.get(ServiceTicket, ticket_id if isinstance(ticket_id, int) else 0)
    if ticket is None or ticket.notified_at is not None:
        return None  # gone, or already told (a retry after a crash)
    customer = db.session.get(Customer, ticket.customer_id)
    store = db.session.get(Store, ticket.store_id)
    assert customer is not None and store is not None
    data = ready_notice_data(ticket, store)
    db.session.commit()  # no transaction open during the WeChat call
    try:
        send_subscribe_message(
            customer.openid,
            current_app.config["MP_TEMPLATE_SERVICE_READY"],
            data,
            page=f"{READY_PAGE}?id={ticket.id}",
        )
    except WeChatAPIError as exc:
        if exc.errcode in FINAL_ERRCODES:
            _note(ticket.id, f"notice not sent: {exc.errcode} {exc.errmsg}"[:255])
            raise GiveUp(f"subscribe message refused: {exc.errcode}") from exc
        raise
    ticket = db.session.get(ServiceTicket, ticket.id)
    assert ticket is not None
    ticket.notified_at = utcnow()
    _note(ticket.id, "customer notified (subscribe message)")
    return {"ticket_id": ticket.id}


def _note(ticket_id: int, note: str) -> None:
    ticket = db.session.get(ServiceTicket, ticket_id)
    status = ticket.status if ticket else "ready"
    db.session.add(
        ServiceTicketEvent(ticket_id=ticket_id, from_status=status, to_status=status, note=note)
    )
    db.session.commit()
