"""Marshmallow schemas of customer journeys (issue 15, item 4): a journey and its steps
in and out, its report, and a customer date (wedding, anniversary). A negative wait, an
unknown trigger or a missing trigger parameter answers 422 naming the field.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas import IdNameSchema, Text, body_id
from community.models.journeys import CUSTOMER_DATE, DATE_KINDS, DORMANT, TAGGED, TRIGGERS

MAX_STEPS = 20


class JourneyStepSchema(Schema):
    """One step: wait (days after the previous step or the event), window, content post."""

    id = fields.Integer(dump_only=True)
    position = fields.Integer(dump_only=True)
    wait_days = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=3650)
    )
    window_days = fields.Integer(
        strict=True, load_default=3, validate=validate.Range(min=0, max=60)
    )
    post_id = body_id(required=True)
    post_title = fields.Function(lambda step: step.post.title if step.post else "", dump_only=True)


class JourneySchema(Schema):
    """A journey: trigger (and its parameter), optional tag, steps."""

    id = fields.Integer(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=64))
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    dormant_days = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=3650)
    )
    date_kind = fields.String(allow_none=True, validate=validate.OneOf(DATE_KINDS))
    days_before = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=365)
    )
    tag_id = body_id(allow_none=True)
    outcome_days = fields.Integer(
        strict=True, load_default=7, validate=validate.Range(min=1, max=90)
    )
    active = fields.Boolean(load_default=True)
    steps = fields.List(
        fields.Nested(JourneyStepSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_STEPS),
    )

    @validates_schema
    def _parameter(self, data, **kwargs):
        if data.get("trigger") == DORMANT and not data.get("dormant_days"):
            raise ValidationError("Days without an order or visit are required.", "dormant_days")
        if data.get("trigger") == CUSTOMER_DATE and not data.get("date_kind"):
            raise ValidationError("Which date (wedding, anniversary) is required.", "date_kind")
        if data.get("trigger") == TAGGED and not data.get("tag_id"):
            raise ValidationError("Choose the tag that starts the journey.", "tag_id")


class JourneyReportSchema(IdNameSchema):
    """Per journey and step: enrolled, sent, confirmed, missed with reasons, orders."""

    enrolled = fields.Integer()
    queued = fields.Integer()
    sent = fields.Integer()
    confirmed = fields.Integer()
    pending = fields.Integer()
    skipped = fields.Integer()
    missed = fields.Integer()
    reasons = fields.Dict(keys=fields.String(), values=fields.Integer())
    orders = fields.Integer()
    order_fen = fields.Integer()
    outcome_days = fields.Integer()
    steps = fields.List(fields.Dict())


class CustomerDateSchema(Schema):
    """A date a customer gave their guide."""

    id = fields.Integer(dump_only=True)
    customer_id = body_id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DATE_KINDS))
    day = fields.Date(required=True)
