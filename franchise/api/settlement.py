"""T+0 settlement JSON API (``/api/v1/franchisees/{id}/...``), HQ or that franchise's owner.

* ``GET /franchisees/{id}/balance`` → CONTRACT ``{"available_fen", "today_gross_fen",
  "today_net_fen", "as_of"}``, derived from the ledger.
* ``GET /franchisees/{id}/statements?date=YYYY-MM-DD`` (default today) → the day's
  statement: totals and lines (each payment / refund). Today is live; a closed day
  comes from its snapshot.

Another franchise's id answers 404; guides and customers 403.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, HQ_ROLES
from app.auth.scope import get_scoped_or_404
from app.clock import shanghai_day
from franchise.member_schemas import PointsLineSchema
from franchise.models import Franchisee
from franchise.services import settlement

blp = Blueprint(
    "settlement_api",
    __name__,
    url_prefix="/api/v1",
    description="T+0 settlement: balances and daily statements",
)


class BalanceSchema(Schema):
    available_fen = fields.Integer(required=True)
    today_gross_fen = fields.Integer(required=True)
    today_net_fen = fields.Integer(required=True)
    as_of = fields.DateTime(required=True)


class StatementQuerySchema(Schema):
    date = fields.Date(format="%Y-%m-%d")


class StatementLineSchema(Schema):
    kind = fields.String()
    order_no = fields.String()
    out_trade_no = fields.String()
    transaction_id = fields.String()
    time = fields.DateTime(allow_none=True)
    amount_fen = fields.Integer()
    fee_fen = fields.Integer()
    hq_share_fen = fields.Integer()
    net_fen = fields.Integer()


class StatementSchema(Schema):
    franchisee_id = fields.Integer()
    date = fields.String()
    status = fields.String()
    closed_at = fields.DateTime(allow_none=True)
    payments_count = fields.Integer()
    gross_fen = fields.Integer()
    fee_fen = fields.Integer()
    hq_share_fen = fields.Integer()
    refund_fen = fields.Integer()
    net_fen = fields.Integer()
    lines = fields.List(fields.Nested(StatementLineSchema))
    points = fields.Nested(PointsLineSchema)  # --- members: the day's points line


@blp.route("/franchisees/<int:franchisee_id>/balance")
class FranchiseeBalance(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.response(200, BalanceSchema)
    @blp.alt_response(404, description="No such franchisee, or not yours")
    def get(self, franchisee_id):
        """Available balance and today's gross and net (T+0, from the ledger)."""
        return settlement.balance(get_scoped_or_404(Franchisee, franchisee_id).id)


@blp.route("/franchisees/<int:franchisee_id>/statements")
class FranchiseeStatement(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(StatementQuerySchema, location="query")
    @blp.response(200, StatementSchema)
    @blp.alt_response(404, description="No such franchisee, or not yours")
    def get(self, args, franchisee_id):
        """The day's settlement statement (default today): totals and lines."""
        franchisee = get_scoped_or_404(Franchisee, franchisee_id)
        return settlement.statement(franchisee.id, args.get("date") or shanghai_day())
