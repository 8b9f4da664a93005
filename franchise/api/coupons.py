"""Staff JSON API for coupons (``/api/v1``).

* ``GET/POST /coupon-templates``, ``GET/PATCH /coupon-templates/{id}`` (HQ): templates
  with their budgets per region ``[{"region_id", "budget_count"}]``.
* ``POST /coupon-templates/{id}/issue`` ``{"customer_id"}`` (HQ): one coupon;
  ``POST /coupon-templates/{id}/bulk-issue`` ``{"franchisee_id"?, "store_id"?,
  "region_id"?, "value_tier"?, "limit"}`` (HQ): to a filtered set of customers.
* ``GET /coupons`` (HQ, owners: their franchise's customers' coupons; filters).
* ``POST /coupons/redeem`` ``{"code"}`` (guide or owner): in-store redemption (核销),
  attributed to the guide, store and franchise. A code of another franchise's customer
  → 404; already redeemed, void or expired → 409 with a clear message.
"""

from __future__ import annotations

from datetime import UTC

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import select

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.errors import NotFound
from app.extensions import db
from app.list_query import where_given
from app.schemas import (
    PageQuerySchema,
    Text,
    all_optional,
    body_id,
    page_of,
    page_schema,
    query_id,
    url_id,
)
from franchise.models import COUPON_KINDS, COUPON_STATUSES, Coupon, CouponTemplate
from franchise.services import coupon_templates
from franchise.services import coupons as coupon_service

blp = Blueprint(
    "commerce_coupons_api",
    __name__,
    url_prefix="/api/v1",
    description="Coupons: templates, budgets, issuing and in-store redemption",
)


class BudgetSchema(Schema):
    region_id = body_id(required=True)
    budget_count = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=0, max=10**8)
    )
    issued_count = fields.Integer(dump_only=True)


class TemplateSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    kind = fields.String()
    amount_off_fen = fields.Integer()
    threshold_fen = fields.Integer()
    valid_from = fields.DateTime(allow_none=True)
    valid_until = fields.DateTime(allow_none=True)
    valid_days = fields.Integer(allow_none=True)
    campaign_id = fields.Integer(allow_none=True)
    is_active = fields.Boolean()
    budgets = fields.List(fields.Nested(BudgetSchema))
    created_at = fields.DateTime(dump_only=True)


class TemplateCreateSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=64))
    kind = Text(load_default="campaign", validate=validate.OneOf(COUPON_KINDS))
    amount_off_fen = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=10**9)
    )
    threshold_fen = fields.Integer(strict=True, validate=validate.Range(min=0, max=10**10))
    valid_from = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    valid_until = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    valid_days = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 3650))
    campaign_id = body_id(allow_none=True)
    is_active = fields.Boolean()
    budgets = fields.List(
        fields.Nested(BudgetSchema), load_default=list, validate=validate.Length(max=100)
    )

    @validates_schema
    def _unique_regions(self, data, **kwargs):
        regions = [b["region_id"] for b in data.get("budgets") or []]
        if len(regions) != len(set(regions)):
            raise MarshmallowError("One budget per region.", "budgets")


TemplateUpdateSchema = all_optional(TemplateCreateSchema, "TemplateUpdateSchema")


class TemplateQuerySchema(PageQuerySchema):
    kind = Text(validate=validate.OneOf(COUPON_KINDS))
    campaign_id = query_id()


class IssueSchema(Schema):
    customer_id = body_id(required=True)


class BulkIssueSchema(Schema):
    franchisee_id = body_id()
    store_id = body_id()
    region_id = body_id()
    value_tier = Text(validate=validate.OneOf(("low", "mid", "high")))
    limit = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10000))


class BulkResultSchema(Schema):
    issued = fields.Integer()
    skipped = fields.Integer()
    exhausted = fields.Boolean()


class CouponSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    template_id = fields.Integer()
    template_name = fields.Function(lambda c: c.template.name if c.template else "")
    amount_off_fen = fields.Function(lambda c: c.template.amount_off_fen if c.template else 0)
    threshold_fen = fields.Function(lambda c: c.template.threshold_fen if c.template else 0)
    customer_id = fields.Integer()
    customer_nickname = fields.Function(lambda c: c.customer.nickname if c.customer else "")
    franchisee_id = fields.Integer()
    state = fields.Function(coupon_service.coupon_state)
    issued_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    redeemed_at = fields.DateTime(allow_none=True)
    redeemed_channel = fields.String(allow_none=True)
    redeemed_order_id = fields.Integer(allow_none=True)
    redeemed_guide_id = fields.Integer(allow_none=True)
    redeemed_store_id = fields.Integer(allow_none=True)
    redeemed_franchisee_id = fields.Integer(allow_none=True)


class CouponFilters(Schema):
    """What the issued-coupon list filters by, on the API and on the admin page."""

    template_id = query_id()
    franchisee_id = query_id()
    customer_id = query_id()
    status = Text(validate=validate.OneOf(COUPON_STATUSES))
    channel = Text(validate=validate.OneOf(("online", "store")))


class CouponQuerySchema(CouponFilters, PageQuerySchema):
    pass


class IssuedFilterSchema(CouponFilters):
    """The admin list's filters: the API's and the coupon code."""

    q = Text(validate=validate.Length(max=20))


class RedeemSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=4, max=20))


TemplatePageSchema = page_schema(TemplateSchema, "CouponTemplatePage")
CouponPageSchema = page_schema(CouponSchema, "CouponPage")


def template_or_404(template_id: int) -> CouponTemplate:
    template = db.session.get(CouponTemplate, url_id(template_id))
    if template is None:
        raise NotFound("Coupon template not found")
    return template


def coupon_stmt(args: dict):
    """Issued coupons through the tenant scope (an owner: their franchise's), newest first."""
    stmt = scoped(select(Coupon), Coupon).order_by(Coupon.id.desc())
    stmt = where_given(
        stmt, Coupon, args, ("template_id", "franchisee_id", "customer_id", "status")
    )
    if args.get("channel"):
        stmt = stmt.where(Coupon.redeemed_channel == args["channel"])
    if args.get("q"):
        stmt = stmt.where(Coupon.code == str(args["q"]).strip().upper())
    return stmt


@blp.route("/coupon-templates")
class Templates(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(TemplateQuerySchema, location="query")
    @blp.response(200, TemplatePageSchema)
    def get(self, args):
        """Coupon templates (filters: kind, campaign_id)."""
        stmt = select(CouponTemplate).order_by(CouponTemplate.id.desc())
        stmt = where_given(stmt, CouponTemplate, args, ("kind", "campaign_id"))
        return page_of(stmt, args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(TemplateCreateSchema)
    @blp.response(201, TemplateSchema)
    def post(self, body):
        """Create a template with budgets per region (HQ)."""
        return coupon_templates.create_template(body)


@blp.route("/coupon-templates/<int:template_id>")
class TemplateItem(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, TemplateSchema)
    @blp.alt_response(404, description="No such template")
    def get(self, template_id):
        """One template with its budgets."""
        return template_or_404(template_id)

    @api_roles(*HQ_ROLES)
    @blp.arguments(TemplateUpdateSchema)
    @blp.response(200, TemplateSchema)
    @blp.alt_response(404, description="No such template")
    def patch(self, body, template_id):
        """Change a template or its budgets (a budget never below what was issued)."""
        return coupon_templates.update_template(template_or_404(template_id), body)


@blp.route("/coupon-templates/<int:template_id>/issue")
class TemplateIssue(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(IssueSchema)
    @blp.response(201, CouponSchema)
    @blp.alt_response(409, description="Budget used up, template inactive, or already issued")
    def post(self, body, template_id):
        """Issue one coupon to a customer (HQ)."""
        return coupon_service.issue_coupon(template_or_404(template_id).id, body["customer_id"])


@blp.route("/coupon-templates/<int:template_id>/bulk-issue")
class TemplateBulkIssue(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(BulkIssueSchema)
    @blp.response(200, BulkResultSchema)
    def post(self, body, template_id):
        """Issue to up to ``limit`` customers matching the filters (HQ)."""
        template = template_or_404(template_id)
        limit = body.pop("limit")
        return coupon_service.bulk_issue(template.id, body, limit)


@blp.route("/coupons")
class Coupons(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(CouponQuerySchema, location="query")
    @blp.response(200, CouponPageSchema)
    def get(self, args):
        """Issued coupons (filters: template, franchisee, customer, status, channel; q=code)."""
        return page_of(coupon_stmt(args), args)


@blp.route("/coupons/redeem")
class Redeem(MethodView):
    @api_roles(GUIDE, FRANCHISE_OWNER)
    @blp.arguments(RedeemSchema)
    @blp.response(200, CouponSchema)
    @blp.alt_response(404, description="No such coupon among your franchise's customers")
    @blp.alt_response(409, description="Already redeemed, void or expired")
    def post(self, body):
        """Redeem a customer's coupon in store (核销)."""
        principal = required_principal()
        return coupon_service.redeem_in_store(body["code"], principal)
