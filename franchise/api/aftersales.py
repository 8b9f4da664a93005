"""After-sales JSON API (issue 19): fulfilment, appointment outcomes, service tickets.

* ``POST /api/v1/orders/{id}/ship`` ``{"carrier", "waybill_no"}`` (HQ): paid → shipped.
* ``POST /api/v1/orders/{id}/pickup`` ``{"code"}`` (the order's store): received →
  picked_up when the customer's code matches (422 ``code`` otherwise).
* ``GET /api/v1/orders/{id}/fulfilment`` (staff), ``GET /api/v1/mp/orders/{id}/fulfilment``
  (the customer: with the pickup code once paid).
* ``POST /api/v1/appointments/{id}/outcome`` (the appointment's store; see
  ``franchise.services.appointment_outcomes``).
* ``POST /api/v1/mp/service-tickets`` (ask for a service), ``GET /api/v1/mp/service-tickets``
  (mine); ``GET/POST /api/v1/service-tickets`` (staff: list with ``overdue``; intake),
  ``GET /api/v1/service-tickets/{id}``, ``POST /api/v1/service-tickets/{id}/move``.
* ``GET/POST /api/v1/trade-ins`` (store staff: old gold weighed, tested and valued),
  ``POST /api/v1/trade-ins/{id}/credit`` ``{"order_id"}``, ``/payout``, ``/cancel``;
  ``GET /api/v1/mp/trade-ins`` (mine).

Views call services and never commit.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.decorators import api_roles
from app.auth.models import CUSTOMER, FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.schemas import page_of
from franchise.api.orders import STAFF, OrderDetailSchema, with_actions
from franchise.models import Appointment, Customer, Order, ServiceTicket, TradeIn
from franchise.schemas_aftersales import (
    FulfilmentSchema,
    OutcomeResultSchema,
    OutcomeSchema,
    PickupSchema,
    ShipSchema,
    TicketDetailSchema,
    TicketIntakeSchema,
    TicketMoveSchema,
    TicketPageSchema,
    TicketQuerySchema,
    TicketRequestSchema,
    TradeInCreateSchema,
    TradeInCreditSchema,
    TradeInPageSchema,
    TradeInQuerySchema,
    TradeInSchema,
)
from franchise.services import appointment_outcomes, fulfilment, order_flow, trade_in
from franchise.services import service_tickets as tickets

blp = Blueprint(
    "aftersales_api",
    __name__,
    url_prefix="/api/v1",
    description="Fulfilment, appointment outcomes and service tickets",
)
STORE_STAFF = (FRANCHISE_OWNER, GUIDE)


def _staff_order(order_id: int) -> Order:
    principal = required_principal()
    return get_scoped_or_404(Order, order_id, order_flow.store_principal(principal))


@blp.route("/orders/<int:order_id>/ship")
class OrderShip(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(ShipSchema)
    @blp.response(200, OrderDetailSchema)
    def post(self, body, order_id):
        """HQ ships a paid order with its carrier and waybill number."""
        order = _staff_order(order_id)
        order = fulfilment.ship(order, body["carrier"], body["waybill_no"], required_principal())
        return with_actions(order)


@blp.route("/orders/<int:order_id>/pickup")
class OrderPickup(MethodView):
    @api_roles(*STORE_STAFF)
    @blp.arguments(PickupSchema)
    @blp.response(200, OrderDetailSchema)
    def post(self, body, order_id):
        """The store hands a pickup order over on the customer's code."""
        order = fulfilment.verify_pickup(_staff_order(order_id), body["code"], required_principal())
        return with_actions(order)


@blp.route("/orders/<int:order_id>/fulfilment")
class OrderFulfilmentItem(MethodView):
    @api_roles(*STAFF)
    @blp.response(200, FulfilmentSchema)
    def get(self, order_id):
        """How the order reaches the customer (no pickup code for staff)."""
        return fulfilment.view(_staff_order(order_id), for_customer=False)


@blp.route("/mp/orders/<int:order_id>/fulfilment")
class MyOrderFulfilment(MethodView):
    @api_roles(CUSTOMER)
    @blp.response(200, FulfilmentSchema)
    def get(self, order_id):
        """My order's delivery (waybill) or pickup (code, once paid)."""
        return fulfilment.view(get_scoped_or_404(Order, order_id), for_customer=True)


@blp.route("/appointments/<int:appointment_id>/outcome")
class AppointmentOutcomeItem(MethodView):
    @api_roles(*HQ_ROLES, *STORE_STAFF)
    @blp.arguments(OutcomeSchema)
    @blp.response(201, OutcomeResultSchema)
    def post(self, body, appointment_id):
        """Record what the visit came to (once): attended, no-show, rescheduled."""
        principal = required_principal()
        scope = order_flow.store_principal(principal)
        appointment = get_scoped_or_404(Appointment, appointment_id, scope)
        return appointment_outcomes.record(appointment, body, principal)


@blp.route("/mp/service-tickets")
class MyServiceTickets(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(TicketQuerySchema, location="query")
    @blp.response(200, TicketPageSchema)
    def get(self, args):
        """My service tickets, newest first."""
        return page_of(scoped(tickets.ticket_stmt(args), ServiceTicket), args)

    @api_roles(CUSTOMER)
    @blp.arguments(TicketRequestSchema)
    @blp.response(201, TicketDetailSchema)
    def post(self, body):
        """Ask for a cleaning, polishing, resizing, re-plating or repair."""
        customer = get_scoped_or_404(Customer, required_principal().customer_id or 0)
        return tickets.request_service(customer, body)


@blp.route("/service-tickets")
class ServiceTickets(MethodView):
    @api_roles(*STAFF)
    @blp.arguments(TicketQuerySchema, location="query")
    @blp.response(200, TicketPageSchema)
    def get(self, args):
        """Tickets the caller may see (filters: status, kind, store, overdue)."""
        scope = order_flow.store_principal(required_principal())
        return page_of(scoped(tickets.ticket_stmt(args), ServiceTicket, scope), args)

    @api_roles(*HQ_ROLES, *STORE_STAFF)
    @blp.arguments(TicketIntakeSchema)
    @blp.response(201, TicketDetailSchema)
    def post(self, body):
        """Take a piece in at the store (condition notes required)."""
        return tickets.intake(body, required_principal())


def _ticket(ticket_id: int) -> ServiceTicket:
    return tickets.store_ticket(ticket_id, required_principal())


@blp.route("/service-tickets/<int:ticket_id>")
class ServiceTicketItem(MethodView):
    @api_roles(*STAFF)
    @blp.response(200, TicketDetailSchema)
    def get(self, ticket_id):
        """One ticket with its history and the moves allowed next."""
        return _ticket(ticket_id)


@blp.route("/service-tickets/<int:ticket_id>/move")
class ServiceTicketMove(MethodView):
    @api_roles(*HQ_ROLES, *STORE_STAFF)
    @blp.arguments(TicketMoveSchema)
    @blp.response(200, TicketDetailSchema)
    def post(self, body, ticket_id):
        """Move a ticket one step; out of order → 422 naming ``to``."""
        return tickets.move(_ticket(ticket_id), body["to"], required_principal(), body)


@blp.route("/trade-ins")
class TradeIns(MethodView):
    @api_roles(*STAFF)
    @blp.arguments(TradeInQuerySchema, location="query")
    @blp.response(200, TradeInPageSchema)
    def get(self, args):
        """Trade-ins the caller may see, newest first (filters: status, store, customer)."""
        stmt = trade_in.trade_in_stmt(args)
        return page_of(
            scoped(stmt, TradeIn, order_flow.store_principal(required_principal())), args
        )

    @api_roles(*HQ_ROLES, *STORE_STAFF)
    @blp.arguments(TradeInCreateSchema)
    @blp.response(201, TradeInSchema)
    def post(self, body):
        """Weigh, test and value old metal at the day's buy-back price."""
        return trade_in.take_in(body, required_principal())


def _trade_in(trade_in_id: int) -> TradeIn:
    scope = order_flow.store_principal(required_principal())
    return get_scoped_or_404(TradeIn, trade_in_id, scope)


@blp.route("/trade-ins/<int:trade_in_id>/credit")
class TradeInCredit(MethodView):
    @api_roles(*HQ_ROLES, *STORE_STAFF)
    @blp.arguments(TradeInCreditSchema)
    @blp.response(200, TradeInSchema)
    def post(self, body, trade_in_id):
        """Credit the value against the customer's new, unpaid order."""
        return trade_in.credit(_trade_in(trade_in_id), body["order_id"], required_principal())


@blp.route("/trade-ins/<int:trade_in_id>/<any(payout, cancel):step>")
class TradeInStep(MethodView):
    @api_roles(*HQ_ROLES, *STORE_STAFF)
    @blp.response(200, TradeInSchema)
    def post(self, trade_in_id, step):
        """Pay the value out, or give the gold back (cancel)."""
        row, principal = _trade_in(trade_in_id), required_principal()
        return (
            trade_in.pay_out(row, principal)
            if step == "payout"
            else trade_in.cancel(row, principal)
        )


@blp.route("/mp/trade-ins")
class MyTradeIns(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(TradeInQuerySchema, location="query")
    @blp.response(200, TradeInPageSchema)
    def get(self, args):
        """My trade-ins with their value and every step."""
        return page_of(scoped(trade_in.trade_in_stmt(args), TradeIn), args)
