"""Marshmallow schemas several livestream API modules share.

``TargetProgressSchema`` is one unit's targets against actuals as ``services.progress`` gives
them (``target`` per metric, ``actual`` = ``Figures.as_dict()``, ``pct`` per metric or
null); ``TargetProgressRowSchema`` adds the unit (level, id, name). The targets editor, the live
dashboard and the review all answer with them. Campaign ids in URLs need no schema:
``services.access.campaign_or_404`` treats an id past the column's range as missing.

The input schemas of targets and rules live here too, so the API and the targets editor
load the same way: ``figure`` / ``figures_form_schema`` (a unit's figures; the page types
GMV in yuan as ``<prefix>_gmv_fen``), ``LiveRuleSchema`` and ``RuleFormSchema`` (the
page's amount in yuan as ``amount_yuan``).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.money import Yuan
from franchise.schemas import Text
from livestream.models.targets import LEVEL_STORE, METRICS
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
    level = fields.String(load_default=LEVEL_STORE, validate=validate.OneOf(service.RULE_LEVELS))
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

    amount_fen = Yuan(hi=service.MAX_AMOUNT, load_default=0, data_key="amount_yuan")
