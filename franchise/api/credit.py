"""Credit JSON API (``/api/v1``): an order's per-line credit, disputes, HQ's rules.

* ``GET /orders/{id}/credit`` → ``{"lines": [{"order_line_id", "guide_id", "store_id",
  "franchisee_id", "share_bps", "evidence": [...]}]}`` (CONTRACT; HQ, the order's owner,
  a guide whose order it is, of its store or holding a share; others 404).
* ``POST /orders/{id}/disputes`` ``{"order_line_id", "reason"}`` → the dispute with
  ``id``, ``status``, ``decide_by`` (CONTRACT; a guide or owner; 404 outside their
  scope, 422 after the window or on a line already ruled, 409 while one is open).
* ``GET /disputes``, ``GET /disputes/{id}`` (with its history), ``POST
  /disputes/{id}/ruling`` ``{"decision", "ruling", "guide_id"?}`` (HQ).
* ``GET/PUT /credit/rules``: the sources' precedence and shares (HQ writes).

Views call services and never commit.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import required_principal
from app.schemas import PageQuerySchema, Text, body_id, page_of, page_schema, query_id
from franchise.models import CREDIT_SOURCES, DISPUTE_REJECTED, DISPUTE_STATUSES, DISPUTE_UPHELD
from franchise.services import credit, credit_rules, disputes

blp = Blueprint(
    "credit_api", __name__, url_prefix="/api/v1", description="Per-line credit and disputes"
)

STAFF = (*HQ_ROLES, FRANCHISE_OWNER, GUIDE)


class CreditLineSchema(Schema):
    order_line_id = fields.Integer()
    guide_id = fields.Integer(allow_none=True)
    store_id = fields.Integer(allow_none=True)
    franchisee_id = fields.Integer()
    share_bps = fields.Integer()
    basis_fen = fields.Integer()
    sources = fields.Function(lambda cl: cl.sources.split(","))
    evidence = fields.List(fields.Dict())


class OrderCreditSchema(Schema):
    order_id = fields.Integer()
    lines = fields.List(fields.Nested(CreditLineSchema))


class DisputeEventSchema(Schema):
    action = fields.String()
    actor_role = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    note = fields.String()
    created_at = fields.DateTime()


class DisputeSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    order_line_id = fields.Integer()
    status = fields.String()
    reason = fields.String()
    filed_role = fields.String()
    filed_guide_id = fields.Integer(allow_none=True)
    decide_by = fields.DateTime()
    ruling = fields.String()
    awarded_guide_id = fields.Integer(allow_none=True)
    ruled_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class DisputeDetailSchema(DisputeSchema):
    events = fields.List(fields.Nested(DisputeEventSchema))


class DisputeCreateSchema(Schema):
    order_line_id = body_id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=1000))


class RulingSchema(Schema):
    decision = Text(required=True, validate=validate.OneOf((DISPUTE_UPHELD, DISPUTE_REJECTED)))
    ruling = fields.String(required=True, validate=validate.Length(min=2, max=2000))
    guide_id = body_id(load_default=None, allow_none=True)


class DisputeFilters(Schema):
    """What a dispute list filters by, on the API and on the admin page."""

    status = Text(validate=validate.OneOf(DISPUTE_STATUSES))
    franchisee_id = query_id()


class DisputeQuerySchema(DisputeFilters, PageQuerySchema):
    order_id = query_id()
    overdue = fields.Boolean()


class DisputeFilterSchema(DisputeFilters):
    """The admin list's filters."""

    overdue = fields.Boolean()


class RuleSchema(Schema):
    source = Text(required=True, validate=validate.OneOf(CREDIT_SOURCES))
    precedence = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=9))
    share_bps = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=0, max=10000)
    )
    is_active = fields.Boolean(load_default=True)


class RulesSchema(Schema):
    rules = fields.List(fields.Nested(RuleSchema), required=True)


DisputePageSchema = page_schema(DisputeSchema, "DisputePage")


@blp.route("/orders/<int:order_id>/credit")
class OrderCredit(MethodView):
    @api_roles(*STAFF)
    @blp.response(200, OrderCreditSchema)
    @blp.alt_response(404, description="No such order, or not yours")
    def get(self, order_id):
        """Each line's credit: guide, store, franchisee, share (bps), evidence."""
        return credit.order_credit(order_id, required_principal())


@blp.route("/orders/<int:order_id>/disputes")
class OrderDisputes(MethodView):
    @api_roles(GUIDE, FRANCHISE_OWNER)
    @blp.arguments(DisputeCreateSchema)
    @blp.response(201, DisputeSchema)
    @blp.alt_response(404, description="No such order or line, or not yours")
    @blp.alt_response(409, description="The line is already disputed")
    @blp.alt_response(422, description="After the window, or the line was already ruled on")
    def post(self, body, order_id):
        """Dispute one line's credit with a reason (a guide or the franchise owner)."""
        principal = required_principal()
        return disputes.file_dispute(order_id, body["order_line_id"], body["reason"], principal)


@blp.route("/disputes")
class Disputes(MethodView):
    @api_roles(*STAFF)
    @blp.arguments(DisputeQuerySchema, location="query")
    @blp.response(200, DisputePageSchema)
    def get(self, args):
        """Disputes in your scope (filters: status, franchisee_id, order_id, overdue)."""
        return page_of(disputes.dispute_stmt(args), args)


@blp.route("/disputes/<int:dispute_id>")
class DisputeItem(MethodView):
    @api_roles(*STAFF)
    @blp.response(200, DisputeDetailSchema)
    @blp.alt_response(404, description="No such dispute, or not yours")
    def get(self, dispute_id):
        """One dispute with every step of its history."""
        return disputes.dispute_or_404(dispute_id, required_principal())


@blp.route("/disputes/<int:dispute_id>/ruling")
class DisputeRuling(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(RulingSchema)
    @blp.response(200, DisputeDetailSchema)
    @blp.alt_response(404, description="No such dispute")
    @blp.alt_response(409, description="Already ruled on")
    def post(self, body, dispute_id):
        """Rule: upheld (the line's credit goes to ``guide_id``) or rejected (HQ)."""
        return disputes.rule(
            dispute_id, body["decision"], body["ruling"], body["guide_id"], required_principal()
        )


@blp.route("/credit/rules")
class CreditRules(MethodView):
    @api_roles(*STAFF)
    @blp.response(200, RulesSchema)
    def get(self):
        """The sources of credit with their precedence and share (bps)."""
        return {"rules": credit_rules.current_rules()}

    @api_roles(*HQ_ROLES)
    @blp.arguments(RulesSchema)
    @blp.response(200, RulesSchema)
    @blp.alt_response(422, description="Not every source once, or active shares ≠ 10,000")
    def put(self, body):
        """Replace the rules (HQ): every source once, the active shares summing to 10,000."""
        return {"rules": credit_rules.save_rules(body["rules"])}
