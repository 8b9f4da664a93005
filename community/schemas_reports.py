"""Marshmallow schemas of the post reports ("did it work") and the statistics read-back."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas import IdNameSchema

MAX_OUTCOME_DAYS = 90


class ReportQuerySchema(Schema):
    """``?days=N``: orders within N days of a send count (default HQ's setting)."""

    days = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_OUTCOME_DAYS),
        metadata={"description": "orders within N days count (1..90; default HQ's setting)"},
    )


class _Figures(Schema):
    sends = fields.Integer(metadata={"description": "groups (or customers) the post reached"})
    orders = fields.Integer(metadata={"description": "distinct orders through the share code"})
    paid_fen = fields.Integer(metadata={"description": "their paid amount, in fen"})
    customers = fields.Integer(metadata={"description": "distinct customers who paid"})
    messages = fields.Float(
        allow_none=True,
        metadata={"description": "messages on the send day (the owners' WeCom statistics)"},
    )
    messages_before = fields.Float(
        allow_none=True, metadata={"description": "average messages a day, the 7 days before"}
    )


class ReportTotalsSchema(_Figures):
    groups = fields.Integer(metadata={"description": "distinct groups reached"})


class ReportDaySchema(_Figures):
    date = fields.Date()


class ReportRowSchema(Schema):
    """One group a push reached on a day (plan, content), or one customer (journey step)."""

    date = fields.Date()
    group_id = fields.Integer()
    group_name = fields.String()
    send_id = fields.Integer()
    customer_name = fields.String()
    guide_name = fields.String()
    members = fields.Integer(metadata={"description": "customers in the group that day"})
    orders = fields.Integer()
    paid_fen = fields.Integer()
    customers = fields.Integer()
    messages = fields.Integer(allow_none=True)
    active_members = fields.Integer(allow_none=True)
    messages_before = fields.Float(allow_none=True)
    active_before = fields.Float(allow_none=True)


class PostReportSchema(IdNameSchema):
    """Did it work: totals, a series per send day and a row per group (or customer)."""

    kind = fields.String(metadata={"description": "plan | content | journey_step"})
    outcome_days = fields.Integer()
    totals = fields.Nested(ReportTotalsSchema)
    series = fields.List(fields.Nested(ReportDaySchema))
    rows = fields.List(fields.Nested(ReportRowSchema))
    statistics_read_to = fields.Date(
        allow_none=True, metadata={"description": "the last day WeCom's statistics were read"}
    )


class ReadBackSchema(Schema):
    """What one read of WeCom's group-chat statistics did."""

    days = fields.Integer()
    calls = fields.Integer()
    rows = fields.Integer()


class ReportFilterSchema(Schema):
    """The report page's table filters: a send day, a name, only rows with orders."""

    day = fields.Date()
    q = fields.String(validate=validate.Length(max=64))
    ordered = fields.String(validate=validate.OneOf(["yes", "no"]))
