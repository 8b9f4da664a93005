"""One service ticket or trade-in on the admin site (``/admin/service-tickets/<id>``,
``/admin/trade-ins/<id>``): its facts, its intake photos and its whole history — each
step in words, when, who took it (a name) and the note in the viewer's language — for the
owner of its franchise and HQ. Another franchise's case is 404. Views never commit.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.scope import get_scoped_or_404
from app.extensions import db
from app.web.formatting import shanghai, yuan
from app.web.labels import customer_name
from app.web.listing import Column, paginate
from franchise.admin.aftersales import TRADE_IN_LABELS, bp
from franchise.models import Order, ServiceTicket, ServiceTicketPhoto, TradeIn
from franchise.services import case_history, ticket_photos
from franchise.services import service_tickets as ticket_service

TEMPLATE = "franchise/aftersales/admin_case.html"


def history_columns(step_label) -> list[Column]:
    """A case's steps: the step in words, when, who, the note."""
    return [
        Column("step", _l("Step"), value=step_label),
        Column("created_at", _l("When"), time=True),
        Column("actor", _l("By"), value=lambda e: case_history.user_name(e.actor_user_id)),
        Column("note", _l("Note"), value=lambda e: case_history.step_note(e.note)),
    ]


def _order_no(order_id: int | None) -> str:
    """The number of the order a trade-in was credited against ("" when none)."""
    order = db.session.get(Order, order_id) if order_id else None
    return order.order_no if order is not None else ""


@bp.route("/service-tickets/<int:ticket_id>")
@page_roles(*ADMIN_UI_ROLES)
def ticket(ticket_id: int):
    """A service ticket with its photos and history."""
    row = get_scoped_or_404(ServiceTicket, ticket_id)
    quote = (
        _l("Free (member benefit)")
        if row.covered_by_benefit
        else (yuan(row.quote_fen) if row.quote_fen else "")
    )
    pairs = [
        (_l("Ticket"), row.ticket_no),
        (_l("Service type"), ticket_service.kind_label(row.kind)),
        (_l("State"), ticket_service.state_label(row.status)),
        (_l("Overdue"), _l("Yes") if ticket_service.is_overdue(row) else _l("No")),
        (_l("Customer"), customer_name(row.customer)),
        (_l("Store"), row.store.name),
        (_l("Piece"), row.piece.serial if row.piece else ""),
        (_l("Item"), row.item_description),
        (_l("Condition at intake"), row.condition_notes),
        (_l("Quote"), quote),
        (_l("Order"), row.order.order_no if row.order else ""),
        (_l("Due"), shanghai(row.due_at) if row.due_at else ""),
    ]
    steps = history_columns(lambda e: ticket_service.state_label(e.to_status))
    return render_template(
        TEMPLATE,
        title=row.ticket_no,
        pairs=pairs,
        photos=row.photos,
        photo_endpoint="aftersales_admin.ticket_photo",
        record_id=row.id,
        columns=steps,
        page=paginate(list(row.events)),
    )


@bp.route("/service-tickets/<int:ticket_id>/photos/<int:photo_id>")
@page_roles(*ADMIN_UI_ROLES)
def ticket_photo(ticket_id: int, photo_id: int):
    """An intake photo of a ticket in my scope."""
    row = get_scoped_or_404(ServiceTicket, ticket_id)
    return ticket_photos.photo_response(
        ticket_photos.photo_of(ServiceTicketPhoto, row.id, photo_id)
    )


@bp.route("/trade-ins/<int:trade_in_id>")
@page_roles(*ADMIN_UI_ROLES)
def trade_in(trade_in_id: int):
    """A trade-in with its value and history."""
    row = get_scoped_or_404(TradeIn, trade_in_id)
    pairs = [
        (_l("Trade-in"), row.trade_in_no),
        (_l("State"), TRADE_IN_LABELS.get(row.status, row.status)),
        (_l("Customer"), customer_name(row.customer)),
        (_l("Store"), row.store.name),
        (_l("Purity"), row.purity),
        (_l("Weight (g)"), f"{row.weight_mg / 1000:.3f}"),
        (_l("Buy-back price per gram"), yuan(row.buyback_fen_per_gram)),
        (_l("Value"), yuan(row.value_fen)),
        (_l("Order"), _order_no(row.order_id)),
    ]
    steps = history_columns(lambda e: TRADE_IN_LABELS.get(e.step, e.step))
    return render_template(
        TEMPLATE,
        title=row.trade_in_no,
        pairs=pairs,
        photos=[],
        columns=steps,
        page=paginate(list(row.events)),
    )
