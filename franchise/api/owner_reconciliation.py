"""The franchisee's reconciliation JSON API (HQ or that franchise's owner).

* ``GET /api/v1/franchisees/{id}/reconciliation?date=YYYY-MM-DD`` (default yesterday, the
  last day whose bills can be in) → CONTRACT: ``items`` with ``transaction_id``,
  ``booked_fen``, ``billed_fen``, ``settled``, ``difference`` (plus the statement line,
  bill lines and profit-share receipt each joins), every difference listed again in
  ``differences``, and ``statement_sha256``: the SHA-256 of the canonical CSV.
* ``GET /api/v1/franchisees/{id}/reconciliation.csv?date=`` → that CSV, its hash in the
  ``X-Statement-SHA256`` header.

Another franchise's id answers 404; guides and customers 403; a bad date 422 naming it.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, HQ_ROLES
from app.auth.scope import get_scoped_or_404
from app.clock import shanghai_yesterday
from franchise.api.reconciliation import bill_day
from franchise.models import Franchisee
from franchise.services import owner_reconciliation as recon

blp = Blueprint(
    "owner_reconciliation_api",
    __name__,
    url_prefix="/api/v1",
    description="A franchisee's reconciliation: ledger, WeChat's bills, settlement",
)


class ReconciliationQuerySchema(Schema):
    date = bill_day(metadata={"description": "default: yesterday"})


class ProfitShareReceiptSchema(Schema):
    out_order_no = fields.String()
    wechat_order_id = fields.String(allow_none=True)
    amount_fen = fields.Integer()
    status = fields.String()
    billed_fen = fields.Integer(allow_none=True)


class BillLineRefSchema(Schema):
    line_no = fields.Integer()
    booked_at = fields.String()
    fee_fen = fields.Integer(allow_none=True)
    business = fields.String()
    amount_fen = fields.Integer()


class ReconciliationItemSchema(Schema):
    transaction_id = fields.String(required=True)
    kind = fields.String(metadata={"description": "payment | refund"})
    out_trade_no = fields.String()
    booked_fen = fields.Integer(allow_none=True, metadata={"description": "the ledger's"})
    billed_fen = fields.Integer(allow_none=True, metadata={"description": "the trade bill's"})
    settled = fields.Boolean(metadata={"description": "in the fund-flow bill"})
    settled_fen = fields.Integer(allow_none=True)
    difference = fields.Integer(metadata={"description": "billed − booked (fen)"})
    status = fields.String(
        metadata={
            "description": "matched | missing_in_bill | missing_in_ledger | amount | "
            "not_settled | pending"
        }
    )
    bill_line = fields.Nested(BillLineRefSchema, allow_none=True)
    fund_lines = fields.List(fields.Nested(BillLineRefSchema))
    profit_share = fields.Nested(ProfitShareReceiptSchema, allow_none=True)


class ReconciliationSchema(Schema):
    franchisee_id = fields.Integer()
    date = fields.String()
    bills_in = fields.Boolean()
    fund_bill_in = fields.Boolean()
    statement_sha256 = fields.String()
    items = fields.List(fields.Nested(ReconciliationItemSchema))
    differences = fields.List(fields.Nested(ReconciliationItemSchema))


def view_of(franchisee_id: int, args: dict) -> dict:
    """The scoped franchisee's reconciliation of the asked day (default yesterday), with
    its hash: the API's answer and the page's."""
    franchisee = get_scoped_or_404(Franchisee, franchisee_id)
    day = args.get("date") or shanghai_yesterday()
    view = recon.reconciliation(franchisee.id, day)
    view["statement_sha256"] = recon.statement_hash(view)
    return view


@blp.route("/franchisees/<int:franchisee_id>/reconciliation")
class FranchiseeReconciliation(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(ReconciliationQuerySchema, location="query")
    @blp.response(200, ReconciliationSchema)
    @blp.alt_response(404, description="No such franchisee, or not yours")
    def get(self, args, franchisee_id):
        """Each statement line beside WeChat's trade and fund-flow bills for the day."""
        return view_of(franchisee_id, args)


@blp.route("/franchisees/<int:franchisee_id>/reconciliation.csv")
class FranchiseeReconciliationCsv(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(ReconciliationQuerySchema, location="query")
    @blp.alt_response(404, description="No such franchisee, or not yours")
    def get(self, args, franchisee_id):
        """The canonical CSV of the day's reconciliation; its SHA-256 in a header."""
        return csv_export(view_of(franchisee_id, args))


def csv_export(view: dict) -> Response:
    """The canonical CSV as a download, its SHA-256 in ``X-Statement-SHA256`` (the API's
    and the page's export are this one answer)."""
    name = f"reconciliation-{view['franchisee_id']}-{view['date']}.csv"
    return Response(
        recon.canonical_csv(view),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Statement-SHA256": recon.statement_hash(view),
        },
    )
