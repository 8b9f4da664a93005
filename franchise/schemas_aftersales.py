"""Marshmallow schemas of the after-sales API (issue 19): fulfilment at checkout and
after it, appointment outcomes, service tickets and trade-ins (consignments:
``franchise.schemas_consignment``).

Bodies use strict integers and bounded strings and refuse unknown fields.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas import PageQuerySchema, StatusStepSchema, Text, body_id, page_schema, query_id
from franchise.models import (
    APPOINTMENT_OUTCOMES,
    DEFECT_REMEDIES,
    FULFILMENT_MODES,
    INSPECTION_RESULTS,
    METALS,
    SERVICE_KINDS,
    TICKET_STATES,
    TRADE_IN_STATES,
)
from franchise.schemas_jewellery import Grams
from franchise.services import service_tickets as ticket_labels
from franchise.services.catalog import MAX_PRICE_FEN


class StoreCaseSchema(Schema):
    """What every after-sales case answers of whose it is: the customer and the store, by
    id and by name (tickets, trade-ins, consignments)."""

    id = fields.Integer()
    customer_id = fields.Integer()
    customer_name = fields.Function(lambda c: c.customer.nickname if c.customer else "")
    store_id = fields.Integer()
    store_name = fields.Function(lambda c: c.store.name if c.store else "")


# --- fulfilment -------------------------------------------------------------------


class AddressSchema(Schema):
    recipient = Text(required=True, validate=validate.Length(min=1, max=32))
    phone = Text(required=True, validate=validate.Regexp(r"^[0-9+\- ]{5,20}$"))
    city = Text(required=True, validate=validate.Length(min=1, max=32))
    address = Text(required=True, validate=validate.Length(min=1, max=255))


class FulfilmentChoiceSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(FULFILMENT_MODES))
    address = fields.Nested(AddressSchema)


class FulfilmentSchema(Schema):
    mode = fields.String()
    recipient = fields.String()
    phone = fields.String()
    city = fields.String()
    address = fields.String()
    carrier = fields.String()
    waybill_no = fields.String()
    shipped_at = fields.DateTime(allow_none=True)
    picked_up_at = fields.DateTime(allow_none=True)
    pickup_code = fields.String()


class ShipSchema(Schema):
    carrier = Text(required=True, validate=validate.Length(min=1, max=32))
    waybill_no = Text(
        required=True,
        validate=[validate.Length(min=4, max=40), validate.Regexp(r"^[A-Za-z0-9-]+$")],
    )


class PickupSchema(Schema):
    code = Text(required=True, validate=validate.Regexp(r"^\d{6}$"))


# --- appointment outcomes -----------------------------------------------------------


class OutcomeSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(APPOINTMENT_OUTCOMES))
    slot_start = fields.AwareDateTime(default_timezone=None)
    inspection_result = fields.String(validate=validate.OneOf(INSPECTION_RESULTS))
    remedy = fields.String(validate=validate.OneOf(DEFECT_REMEDIES))
    refund_fen = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_PRICE_FEN))
    service_kind = fields.String(validate=validate.OneOf(SERVICE_KINDS))
    note = Text(load_default="", validate=validate.Length(max=255))


class OutcomeResultSchema(Schema):
    appointment_id = fields.Integer()
    outcome = fields.String()
    inspection_result = fields.String(allow_none=True)
    remedy = fields.String(allow_none=True)
    refund_id = fields.Integer(allow_none=True)
    replacement_order_id = fields.Integer(allow_none=True)  # an exchange: the new order
    rescheduled_to_id = fields.Integer(allow_none=True)
    service_ticket_id = fields.Integer(allow_none=True)
    note = fields.String()
    recorded_at = fields.DateTime()


# --- service tickets ----------------------------------------------------------------


class TicketRequestSchema(Schema):
    """The customer asks for a service (mini-program)."""

    kind = fields.String(required=True, validate=validate.OneOf(SERVICE_KINDS))
    store_id = body_id()
    piece_id = body_id()
    item_description = Text(load_default="", validate=validate.Length(max=255))
    condition_notes = fields.String(load_default="", validate=validate.Length(max=2000))


class TicketIntakeSchema(TicketRequestSchema):
    """The store takes a piece in: the customer and the condition are required."""

    customer_id = body_id(required=True)
    condition_notes = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TicketMoveSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(TICKET_STATES))
    quote_fen = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_PRICE_FEN))
    condition_notes = fields.String(validate=validate.Length(max=2000))
    note = Text(load_default="", validate=validate.Length(max=255))


class TicketEventSchema(StatusStepSchema):
    actor_role = fields.String()
    actor = fields.Function(lambda e: e.actor.display_name or e.actor.username if e.actor else None)


class TicketSchema(StoreCaseSchema):
    ticket_no = fields.String()
    kind = fields.String()
    kind_label = fields.Function(lambda t: ticket_labels.kind_label(t.kind))
    status = fields.String()
    status_label = fields.Function(lambda t: ticket_labels.state_label(t.status))
    piece_serial = fields.Function(lambda t: t.piece.serial if t.piece else None)
    item_description = fields.String()
    condition_notes = fields.String()
    quote_fen = fields.Integer()
    covered_by_benefit = fields.Boolean()
    order_id = fields.Integer(allow_none=True)
    paid = fields.Function(lambda t: bool(t.order and t.order.paid_at))
    photo_count = fields.Function(lambda t: len(t.photos))
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Function(lambda t: ticket_labels.is_overdue(t))
    notified_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class TicketDetailSchema(TicketSchema):
    events = fields.List(fields.Nested(TicketEventSchema))
    allowed = fields.Function(lambda t: list(ticket_labels.TICKET_FLOW.get(t.status, ())))


class TicketFilters(Schema):
    """What a ticket list filters by, on the API and on the admin page."""

    status = fields.String(validate=validate.OneOf(TICKET_STATES))
    kind = fields.String(validate=validate.OneOf(SERVICE_KINDS))
    store_id = query_id()


class TicketQuerySchema(TicketFilters, PageQuerySchema):
    customer_id = query_id()
    overdue = fields.Boolean()


TicketPageSchema = page_schema(TicketSchema, "ServiceTicketPage")


# --- trade-ins ------------------------------------------------------------------------


class TradeInCreateSchema(Schema):
    customer_id = body_id(required=True)
    store_id = body_id()
    metal = fields.String(required=True, validate=validate.OneOf(METALS))
    weight_mg: fields.Field = fields.Integer(strict=True, required=True)
    purity_permille = fields.Integer(strict=True, required=True)
    description = Text(load_default="", validate=validate.Length(max=255))


class TradeInIntakeFormSchema(TradeInCreateSchema):
    """The guide's intake form (``/m/trade-ins``): the customer typed as a member number or
    phone (the page resolves it to ``customer_id`` within the guide's store), the weight in
    grams on the store's scale (loaded as milligrams)."""

    customer_id = body_id()
    customer = Text(required=True, validate=validate.Length(min=1, max=16))
    weight_mg = Grams(required=True, data_key="weight_g")


class TradeInCreditSchema(Schema):
    order_id = body_id(required=True)


class TradeInEventSchema(Schema):
    step = fields.String()
    note = fields.String()
    created_at = fields.DateTime()


class TradeInSchema(StoreCaseSchema):
    trade_in_no = fields.String()
    metal = fields.String()
    purity = fields.String()
    purity_permille = fields.Integer()
    weight_mg = fields.Integer()
    buyback_fen_per_gram = fields.Integer()
    value_fen = fields.Integer()
    status = fields.String()
    order_id = fields.Integer(allow_none=True)
    description = fields.String()
    created_at = fields.DateTime()
    settled_at = fields.DateTime(allow_none=True)
    events = fields.List(fields.Nested(TradeInEventSchema))


class TradeInFilters(Schema):
    """What a trade-in list filters by, on the API and on the admin page."""

    status = fields.String(validate=validate.OneOf(TRADE_IN_STATES))
    store_id = query_id()


class TradeInQuerySchema(TradeInFilters, PageQuerySchema):
    customer_id = query_id()


TradeInPageSchema = page_schema(TradeInSchema, "TradeInPage")
