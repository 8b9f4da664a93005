"""Commission JSON API (``/api/v1``): rates and a guide's monthly statement.

* ``GET /guides/{id}/commission?month=YYYY-MM`` (CONTRACT; HQ, the guide's franchise
  owner, the guide; another's 404; a month in the future or not ``YYYY-MM`` 422).
* ``GET /commission/rates``, ``POST /commission/rates`` ``{"category"?, "campaign_id"?,
  "rate_percent"}`` (0–100 with at most two decimals, read by ``app.money.parse_percent``,
  else 422), ``DELETE
  /commission/rates/{id}`` (HQ writes).
"""

from __future__ import annotations

from decimal import Decimal

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import required_principal
from app.money import parse_percent
from app.schemas import Text, body_id
from franchise.services import commission
from franchise.services.base import invalid
from franchise.services.commission_statements import guide_statement

blp = Blueprint("commission_api", __name__, url_prefix="/api/v1", description="Guides' commission")


class CommissionEntrySchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    order_id = fields.Integer(allow_none=True)
    credit_line_id = fields.Integer(allow_none=True)
    campaign_id = fields.Integer(allow_none=True)
    basis_fen = fields.Integer()
    rate_bps = fields.Integer()
    amount_fen = fields.Integer()
    note = fields.String()
    created_at = fields.DateTime()


class CommissionStatementSchema(Schema):
    guide_id = fields.Integer()
    guide_name = fields.String()
    month = fields.String()
    accrued_fen = fields.Integer()
    reversed_fen = fields.Integer()
    moved_fen = fields.Integer()
    live_fen = fields.Integer()
    total_fen = fields.Integer()
    entries = fields.List(fields.Nested(CommissionEntrySchema))


class CommissionMonthQuerySchema(Schema):
    month = Text(load_default=None)


class CommissionRateSchema(Schema):
    id = fields.Integer(dump_only=True)
    category = Text(load_default="", validate=validate.Length(max=32))
    campaign_id = body_id(load_default=None, allow_none=True)
    rate_bps = fields.Integer(dump_only=True)
    rate_percent = fields.Decimal(
        required=True, load_only=True, metadata={"minimum": 0, "maximum": 100}
    )


@blp.route("/guides/<int:guide_id>/commission")
class GuideCommission(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER, GUIDE)
    @blp.arguments(CommissionMonthQuerySchema, location="query")
    @blp.response(200, CommissionStatementSchema)
    @blp.alt_response(404, description="No such guide, or not yours")
    @blp.alt_response(422, description="Not YYYY-MM, or a month in the future")
    def get(self, args, guide_id):
        """A guide's commission for a month: every entry and the totals by kind."""
        return guide_statement(guide_id, args["month"], required_principal())


def percent_to_bps(percent: Decimal) -> int:
    """``12.5`` % → 1250 bps through ``app.money.parse_percent``; outside 0–100 or more
    than two decimals is a 422 naming ``rate_percent``."""
    bps = parse_percent(str(percent))
    if bps is None:
        raise invalid("rate_percent", "A rate from 0 to 100 %, with at most two decimals.")
    return bps


@blp.route("/commission/rates")
class Rates(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER, GUIDE)
    @blp.response(200, CommissionRateSchema(many=True))
    def get(self):
        """Every rate: the default, per category, per campaign."""
        return commission.rates()

    @api_roles(*HQ_ROLES)
    @blp.arguments(CommissionRateSchema)
    @blp.response(201, CommissionRateSchema)
    @blp.alt_response(422, description="A rate outside 0–100 %, or an unknown campaign")
    def post(self, body):
        """Set the rate of a category and / or campaign (HQ)."""
        bps = percent_to_bps(body["rate_percent"])
        return commission.save_rate(body["category"], body["campaign_id"], bps)


@blp.route("/commission/rates/<int:rate_id>")
class RateItem(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(204)
    def delete(self, rate_id):
        """Remove a rate (HQ)."""
        commission.delete_rate(rate_id)
