"""Customers and assignment API for HQ, franchise owners and guides (``/api/v1``).

Reads go through the tenant scope: HQ sees every customer, an owner those of their
franchise, a guide only their own customers; anything else answers 404. Only HQ
reassigns (with a reason); the service checks the store belongs to the franchisee and
the guide to the store. Only HQ gives now a welcome a first login could not give
(``franchise.services.welcome_retry``).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.list_query import search, where_given
from app.schemas import (
    PageArgsSchema,
    PageQuerySchema,
    Text,
    body_id,
    page_of,
    page_schema,
    query_id,
)
from franchise.models import (
    ASSIGNMENT_RULES,
    TIER_HIGH,
    TIER_LOW,
    TIER_MID,
    AssignmentHistory,
    Customer,
)
from franchise.services import customers as customer_services
from franchise.services import welcome_retry

blp = Blueprint(
    "franchise_customers_api",
    __name__,
    url_prefix="/api/v1",
    description="Customers and their assignment",
)

READERS = (*HQ_ROLES, FRANCHISE_OWNER, GUIDE)


class CustomerSchema(Schema):
    id = fields.Integer()
    nickname = fields.String()
    phone = fields.String(allow_none=True)
    birthday = fields.Date(allow_none=True)
    city = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    franchisee_id = fields.Integer()
    store_id = fields.Integer(allow_none=True)
    guide_id = fields.Integer(allow_none=True)
    assignment_rule = fields.String()
    bound_at = fields.DateTime()
    value_tier = fields.String(allow_none=True)
    tier_label = fields.String(allow_none=True)
    recency_days = fields.Integer(allow_none=True)
    order_count = fields.Integer()
    monetary_fen = fields.Integer()
    last_order_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class CustomerQuerySchema(PageQuerySchema):
    franchisee_id = query_id()
    store_id = query_id()
    guide_id = query_id()
    value_tier = fields.String(validate=validate.OneOf((TIER_LOW, TIER_MID, TIER_HIGH)))


class HistorySchema(Schema):
    id = fields.Integer()
    customer_id = fields.Integer()
    from_franchisee_id = fields.Integer(allow_none=True)
    to_franchisee_id = fields.Integer()
    from_store_id = fields.Integer(allow_none=True)
    to_store_id = fields.Integer(allow_none=True)
    from_guide_id = fields.Integer(allow_none=True)
    to_guide_id = fields.Integer(allow_none=True)
    rule = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    reason = fields.String()
    created_at = fields.DateTime()


class HistoryQuerySchema(PageArgsSchema):
    customer_id = query_id()
    franchisee_id = query_id()
    rule = fields.String(validate=validate.OneOf(ASSIGNMENT_RULES))


class ReassignSchema(Schema):
    franchisee_id = body_id(required=True)
    store_id = body_id(allow_none=True)
    guide_id = body_id(allow_none=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=255))


class WelcomeGivenSchema(Schema):
    """What giving a deferred welcome wrote: the sign-up points posted now (0 when they
    were already) and whether a new-customer coupon was issued now."""

    points = fields.Integer()
    coupon = fields.Boolean()


CustomerPageSchema = page_schema(CustomerSchema, "CustomerPage")


class CustomerDetailSchema(CustomerSchema):
    """One customer; HQ also sees the ``unionid`` (the key joining the mini-program and
    WeCom identities), everyone else ``null``."""

    unionid = fields.Method("_unionid", allow_none=True)

    def _unionid(self, customer) -> str | None:
        return customer.unionid if required_principal().is_hq else None


HistoryPageSchema = page_schema(HistorySchema, "AssignmentHistoryPage")


def customer_stmt(args: dict):
    """The scoped, filtered customer listing (API and admin pages)."""
    stmt = scoped(select(Customer), Customer).order_by(Customer.id.desc())
    stmt = where_given(
        stmt, Customer, args, ("franchisee_id", "store_id", "guide_id", "value_tier")
    )
    stmt = search(stmt, args.get("q"), Customer.nickname, Customer.phone, Customer.city)
    return stmt


def history_stmt(args: dict):
    """Assignment history the caller may see: HQ all; owners rows moving to or from them."""
    stmt = select(AssignmentHistory).order_by(AssignmentHistory.id.desc())
    principal = required_principal()
    if not principal.is_hq:
        visible = scoped(select(Customer.id), Customer)
        stmt = stmt.where(AssignmentHistory.customer_id.in_(visible))
    if args.get("customer_id"):
        stmt = stmt.where(AssignmentHistory.customer_id == args["customer_id"])
    if args.get("franchisee_id"):
        fid = args["franchisee_id"]
        stmt = stmt.where(
            or_(
                AssignmentHistory.to_franchisee_id == fid,
                AssignmentHistory.from_franchisee_id == fid,
            )
        )
    if args.get("rule"):
        stmt = stmt.where(AssignmentHistory.rule == args["rule"])
    return stmt


@blp.route("/customers")
class Customers(MethodView):
    @api_roles(*READERS)
    @blp.arguments(CustomerQuerySchema, location="query")
    @blp.response(200, CustomerPageSchema)
    def get(self, args):
        """List customers (filters: franchisee_id, store_id, guide_id, value_tier, q)."""
        return page_of(customer_stmt(args), args)


@blp.route("/customers/<int:customer_id>")
class CustomerItem(MethodView):
    @api_roles(*READERS)
    @blp.response(200, CustomerDetailSchema)
    @blp.alt_response(404, description="No such customer, or not yours")
    def get(self, customer_id):
        """Show one customer (HQ also sees the unionid)."""
        return get_scoped_or_404(Customer, customer_id)


@blp.route("/customers/<int:customer_id>/assignments")
class CustomerAssignments(MethodView):
    @api_roles(*READERS)
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, HistoryPageSchema)
    @blp.alt_response(404, description="No such customer, or not yours")
    def get(self, args, customer_id):
        """The customer's assignment history, newest first."""
        customer = get_scoped_or_404(Customer, customer_id)
        return page_of(history_stmt({**args, "customer_id": customer.id}), args)


@blp.route("/customers/<int:customer_id>/reassign")
class CustomerReassign(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(ReassignSchema)
    @blp.response(200, CustomerSchema)
    @blp.alt_response(404, description="No such customer")
    @blp.alt_response(422, description="Store not the franchisee's, guide not the store's")
    def post(self, body, customer_id):
        """Move a customer to another franchisee / store / guide, with a reason (HQ)."""
        customer = get_scoped_or_404(Customer, customer_id)
        return customer_services.reassign(
            customer,
            body["franchisee_id"],
            body.get("store_id"),
            body.get("guide_id"),
            reason=body["reason"],
            actor_user_id=required_principal().user_id,
        )


@blp.route("/customers/<int:customer_id>/welcome")
class CustomerWelcome(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, WelcomeGivenSchema)
    @blp.alt_response(404, description="No such customer")
    @blp.alt_response(409, description="No welcome waits, or it failed again (the step named)")
    def post(self, customer_id):
        """Give now the welcome the customer's first login could not give (HQ); the
        automatic retry then gives nothing more."""
        customer = get_scoped_or_404(Customer, customer_id)
        return welcome_retry.give_now(customer.id)


@blp.route("/assignments")
class Assignments(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, HistoryPageSchema)
    def get(self, args):
        """Assignment history (filters: customer_id, franchisee_id, rule)."""
        return page_of(history_stmt(args), args)
