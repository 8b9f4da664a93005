"""Marshmallow schemas of consignment (寄售, issue 19): the JSON API's bodies and answers,
and the admin pages' forms, which load through the same fields with the amounts typed
in yuan and the commission in per cent (``app.web.form_input``).

Bodies use strict integers and bounded strings and refuse unknown fields.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate

from app.money import Yuan
from app.schemas import PageQuerySchema, StatusStepSchema, Text, body_id, page_schema, query_id
from franchise.models import CONSIGNMENT_STATES
from franchise.schemas_aftersales import StoreCaseSchema
from franchise.schemas_common import SearchFilter
from franchise.services.catalog import MAX_PRICE_FEN
from franchise.services.consignment import MAX_COMMISSION_BPS, state_label

PRICE = validate.Range(min=1, max=MAX_PRICE_FEN)


class StepAmounts(Schema):
    """What the appraisal and the agreement record (fen, basis points)."""

    appraised_fen = fields.Integer(strict=True, validate=PRICE)
    appraisal_notes = fields.String(validate=validate.Length(max=2000))
    agreed_price_fen = fields.Integer(strict=True, validate=PRICE)
    commission_bps = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=MAX_COMMISSION_BPS)
    )


class ConsignmentCreateSchema(StepAmounts):
    """The intake; the appraisal and the agreed price may be recorded with it."""

    customer_id = body_id(required=True)
    store_id = body_id()
    description = Text(required=True, validate=validate.Length(min=1, max=255))


class ConsignmentMoveSchema(StepAmounts):
    """One step, with what it records."""

    to = fields.String(required=True, validate=validate.OneOf(CONSIGNMENT_STATES))
    note = Text(load_default="", validate=validate.Length(max=255))


class ConsignmentEventSchema(StatusStepSchema):
    pass


class ConsignmentSchema(StoreCaseSchema):
    consignment_no = fields.String()
    description = fields.String()
    appraisal_notes = fields.String()
    appraised_fen = fields.Integer(allow_none=True)
    agreed_price_fen = fields.Integer(allow_none=True)
    commission_bps = fields.Integer()
    status = fields.String()
    status_label = fields.Function(lambda c: state_label(c.status))
    product_id = fields.Integer(allow_none=True)
    order_id = fields.Integer(allow_none=True)
    payout_fen = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    events = fields.List(fields.Nested(ConsignmentEventSchema))


class ConsignmentFilters(Schema):
    """What a consignment list filters by, on the API and on the admin page."""

    status = fields.String(validate=validate.OneOf(CONSIGNMENT_STATES))
    store_id = query_id()


class ConsignmentQuerySchema(ConsignmentFilters, PageQuerySchema):
    customer_id = query_id()


ConsignmentPageSchema = page_schema(ConsignmentSchema, "ConsignmentPage")


# --- the admin pages' forms -------------------------------------------------------


class Percent(fields.Field):
    """A percentage typed with at most two decimals (``20``, ``12.5``) loaded as basis
    points within ``0..hi``."""

    def __init__(self, *, hi: int, **kwargs):
        super().__init__(**kwargs)
        self.hi = hi

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            bps = Decimal(str(value).strip().rstrip("%")) * 100
        except InvalidOperation as exc:
            raise ValidationError("A percentage, such as 20 or 12.5.") from exc
        if bps != bps.to_integral_value() or not 0 <= bps <= self.hi:
            raise ValidationError("A percentage from 0 to 50, at most two decimals.")
        return int(bps)


class _TypedAmounts(Schema):
    """The amounts as a page types them: yuan, and the commission in per cent."""

    appraised_fen = Yuan(data_key="appraised_yuan", lo=1, hi=MAX_PRICE_FEN)
    agreed_price_fen = Yuan(data_key="agreed_price_yuan", lo=1, hi=MAX_PRICE_FEN)
    commission_bps = Percent(data_key="commission_pct", hi=MAX_COMMISSION_BPS)


class ConsignmentIntakeFormSchema(_TypedAmounts, ConsignmentCreateSchema):  # type: ignore[misc]
    """The intake page's form (the consignor picked from the caller's customers)."""


class ConsignmentStepFormSchema(_TypedAmounts, ConsignmentMoveSchema):  # type: ignore[misc]
    """One step on the detail page."""


class ConsignmentFilterSchema(SearchFilter, ConsignmentFilters):
    """The admin list's filters."""

    consignor = Text(validate=validate.Length(max=64))
