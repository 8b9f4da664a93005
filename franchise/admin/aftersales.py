"""After-sales admin pages (issue 19): service tickets for franchise owners (their
franchise) and HQ (every franchise), with what is overdue against each service's
target; trade-ins of old gold with their value and state; filters, pages and CSV.

Views never commit.
"""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.scope import scoped
from app.web.labels import customer_name
from app.web.listing import Column
from franchise.admin.support import choices, render_list, select_filter, text_filter
from franchise.models import (
    SERVICE_KINDS,
    TICKET_STATES,
    ServiceTicket,
    Store,
    TradeIn,
)
from franchise.schemas_aftersales import TicketFilters, TradeInFilters
from franchise.schemas_common import SearchFilter
from franchise.services import service_tickets as ticket_service
from franchise.services import trade_in

bp = Blueprint(
    "aftersales_admin",
    __name__,
    url_prefix="/admin",
    template_folder="../templates",
)
OVERDUE_OPTIONS = [("", _l("All")), ("1", _l("Overdue only"))]


class TicketFilterSchema(SearchFilter, TicketFilters):
    """The list's filters: the API's, the ticket-number search and ``overdue``."""

    overdue = fields.Boolean()


class TradeInFilterSchema(SearchFilter, TradeInFilters):
    """The list's filters: the API's and the trade-in-number search."""


def ticket_columns() -> list[Column]:
    return [
        Column(
            "ticket_no",
            _l("Ticket"),
            link=lambda t: url_for("aftersales_admin.ticket", ticket_id=t.id),
        ),
        Column("kind", _l("Service type"), value=lambda t: ticket_service.kind_label(t.kind)),
        Column("status", _l("State"), value=lambda t: ticket_service.state_label(t.status)),
        Column("customer", _l("Customer"), value=lambda t: customer_name(t.customer)),
        Column("store", _l("Store"), value=lambda t: t.store.name),
        Column("quote_fen", _l("Quote"), money=True),
        Column("due_at", _l("Due"), time=True),
        Column(
            "overdue",
            _l("Overdue"),
            value=lambda t: ticket_service.is_overdue(t),
        ),
        Column("created_at", _l("Opened at"), time=True),
    ]


def _scoped_search(stmt, model, number, args: dict):
    """``stmt`` through the tenant scope of ``model``, narrowed to the numbers that
    contain ``?q=`` (a ticket or trade-in number typed in part)."""
    stmt = scoped(stmt, model)
    if args.get("q"):
        stmt = stmt.where(number.contains(args["q"], autoescape=True))
    return stmt


def _stmt(args: dict):
    return _scoped_search(
        ticket_service.ticket_stmt(args), ServiceTicket, ServiceTicket.ticket_no, args
    )


@bp.route("/service-tickets")
@page_roles(*ADMIN_UI_ROLES)
def tickets():
    """Service tickets through the tenant scope; ``?overdue=1`` for what is late."""
    state_options = [(s, ticket_service.state_label(s)) for s in TICKET_STATES]
    kind_options = [(k, ticket_service.kind_label(k)) for k in SERVICE_KINDS]
    return render_list(
        _l("Service tickets"),
        TicketFilterSchema,
        _stmt,
        ticket_columns(),
        [
            text_filter("q", _l("Ticket number")),
            select_filter("status", _l("State"), [("", _l("All"))] + state_options),
            select_filter("kind", _l("Service type"), [("", _l("All"))] + kind_options),
            select_filter("store_id", _l("Store"), choices(Store, blank=_l("All"))),
            select_filter("overdue", _l("Overdue"), OVERDUE_OPTIONS),
        ],
        "service-tickets.csv",
    )


TRADE_IN_LABELS = {
    "valued": _l("Valued"),
    "credited": _l("Credited to an order"),
    "paid_out": _l("Paid out"),
    "cancelled": _l("Cancelled"),
}


def trade_in_columns() -> list[Column]:
    return [
        Column(
            "trade_in_no",
            _l("Trade-in"),
            link=lambda t: url_for("aftersales_admin.trade_in", trade_in_id=t.id),
        ),
        Column("customer", _l("Customer"), value=lambda t: customer_name(t.customer)),
        Column("store", _l("Store"), value=lambda t: t.store.name),
        Column("purity", _l("Purity")),
        Column("weight_mg", _l("Weight (mg)"), numeric=True),
        Column("buyback_fen_per_gram", _l("Buy-back price per gram"), money=True),
        Column("value_fen", _l("Value"), money=True),
        Column("status", _l("State"), value=lambda t: TRADE_IN_LABELS[t.status]),
        Column("created_at", _l("Taken in at"), time=True),
    ]


def _trade_in_stmt(args: dict):
    return _scoped_search(trade_in.trade_in_stmt(args), TradeIn, TradeIn.trade_in_no, args)


@bp.route("/trade-ins")
@page_roles(*ADMIN_UI_ROLES)
def trade_ins():
    """Old gold taken in, through the tenant scope; CSV with ``?format=csv``."""
    return render_list(
        _l("Trade-ins"),
        TradeInFilterSchema,
        _trade_in_stmt,
        trade_in_columns(),
        [
            text_filter("q", _l("Trade-in number")),
            select_filter("status", _l("State"), [("", _l("All"))] + list(TRADE_IN_LABELS.items())),
            select_filter("store_id", _l("Store"), choices(Store, blank=_l("All"))),
        ],
        "trade-ins.csv",
    )
