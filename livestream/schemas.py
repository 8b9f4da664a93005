"""Marshmallow schemas several livestream API modules share.

``TargetProgressSchema`` is one unit's targets against actuals as ``services.progress`` gives
them (``target`` per metric, ``actual`` = ``Figures.as_dict()``, ``pct`` per metric or
null); ``TargetProgressRowSchema`` adds the unit (level, id, name). The targets editor, the live
dashboard and the review all answer with them. Campaign ids in URLs need no schema:
``services.access.campaign_or_404`` treats an id past the column's range as missing.

The input schemas of targets and rules live here too, so the API and the targets editor
load the same way: ``figure`` / ``figures_form_schema`` (a unit's figures; the page types
GMV in yuan as ``<prefix>_gmv_fen``), ``LiveRuleSchema`` and ``RuleFormSchema`` (the
page's amount in yuan as ``amount_yuan``); ``CampaignInSchema`` (the API's body) and
``CampaignInputSchema`` (what ``campaign_input.validate`` loads: the body, or the wizard's
``live_date`` + ``live_time`` in Shanghai instead of ``live_at``).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.clock import SHANGHAI
from app.money import Yuan
from app.schemas import MAX_ID, Text
from community.schemas import HHMM
from franchise.services.catalog import MAX_PRICE_FEN
from livestream.models.campaigns import MODES
from livestream.models.targets import LEVEL_STORE, LEVELS, METRICS
from livestream.services import targets as service


class TargetProgressSchema(Schema):
    target = fields.Dict(keys=fields.String(), values=fields.Integer())
    actual = fields.Dict(keys=fields.String(), values=fields.Raw())
    pct = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class TargetProgressRowSchema(TargetProgressSchema):
    level = fields.String()
    ref_id = fields.Integer()
    name = fields.String()


def figure(metric: str = "", **kw) -> fields.Integer:
    """A target figure in a JSON body: a count, or GMV in fen (their own bounds)."""
    high = service.max_of(metric)
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=high), **kw)


def figures_form_schema(prefix: str) -> Schema:
    """The editor's figures of one unit: fields ``<prefix>_<metric>``, GMV typed in yuan."""
    return Schema.from_dict(
        {
            metric: Yuan(hi=service.MAX_GMV_FEN, data_key=f"{prefix}_{metric}")
            if metric == "gmv_fen"
            else figure(metric, data_key=f"{prefix}_{metric}")
            for metric in METRICS
        }
    )()


class LiveRuleSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(service.RULE_KINDS))
    level = fields.String(load_default=LEVEL_STORE, validate=validate.OneOf(LEVELS))
    metric = fields.String(load_default="gmv_fen", validate=validate.OneOf(METRICS))
    threshold_pct = fields.Integer(
        strict=True, load_default=100, validate=validate.Range(min=0, max=1000)
    )
    amount_fen = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=service.MAX_AMOUNT)
    )
    note = Text(load_default="", validate=validate.Length(max=128))


class RuleFormSchema(LiveRuleSchema):
    """The editor's rule form: the same rule, the amount typed in yuan."""

    # the same key, another field kind: marshmallow allows it, the checker cannot see it
    amount_fen = Yuan(hi=service.MAX_AMOUNT, load_default=0, data_key="amount_yuan")  # type: ignore[assignment]


def Id(**kw) -> fields.Integer:  # noqa: N802 - reads like a field class
    """A strict id in a body."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kw)


class LineupInSchema(Schema):
    product_id = Id(required=True)
    live_price_fen = fields.Integer(
        strict=True, required=True, validate=validate.Range(1, MAX_PRICE_FEN)
    )
    stock_cap = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 10**6))
    coupon_template_id = Id(allow_none=True, load_default=None)


class CampaignInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    live_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(strict=True, validate=validate.Range(15, 720))
    description = fields.String(validate=validate.Length(max=2000))
    region_ids = fields.List(Id(), validate=validate.Length(max=500))
    franchisee_ids = fields.List(Id(), validate=validate.Length(max=500))
    store_ids = fields.List(Id(), validate=validate.Length(max=500))
    gate_threshold_pct = fields.Integer(strict=True, validate=validate.Range(0, 100))
    gate_requires_link_check = fields.Boolean()
    warmup_post_id = Id(allow_none=True)
    lineup = fields.List(fields.Nested(LineupInSchema), validate=validate.Length(max=100))
    # a live price under HQ's floor (franchise setting live.price_floor_pct) needs this
    confirm_low_prices = fields.Boolean(load_default=False)


class CampaignPatchSchema(CampaignInSchema):
    """The same fields, every one optional (used with ``partial=True``)."""


class CampaignInputSchema(CampaignInSchema):
    """What the service loads: the live as ``live_at`` or as a Shanghai ``live_date`` and
    ``live_time`` (the wizard's; 20:00 when no time); "required" is the service's rule."""

    live_at = fields.AwareDateTime(allow_none=True)
    live_date = fields.Date(allow_none=True)
    live_time = Text(allow_none=True, validate=HHMM)


class SessionFormSchema(Schema):
    """The sessions table's re-time form: a Shanghai time when no offset is given."""

    starts_at = fields.AwareDateTime(allow_none=True, default_timezone=SHANGHAI)
    duration_minutes = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(15, 720)
    )
    anchor_userid = Text(allow_none=True, validate=validate.Length(max=64))
