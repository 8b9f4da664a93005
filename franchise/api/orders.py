"""Staff JSON API for products and orders (``/api/v1``), and the order schemas it shares.

* ``GET/POST /products``, ``GET/PATCH /products/{id}``: the catalogue (HQ writes; HQ,
  owners and guides read).
* ``GET /orders``: filtered and paginated through the tenant scope (HQ: all; an owner:
  their franchise; a guide: their own orders).
* ``GET /orders/{id}``: one order with its lines, its status events and the moves the
  caller may make now.
* ``POST /orders/{id}/transition`` ``{"to", "note"?}``: move an order along ORDER_FLOW
  (``franchise.services.orders``). Not allowed from the current state (including a
  repeat of the move just made) → 409 with ``errors.allowed``; not for the caller's
  role → 403. A guide may move the orders of their store (hand-over), not only their
  own: the store-scoped principal reads them through the same scope helper.

Views call services and never commit.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404
from app.errors import NotFound
from app.extensions import db
from app.schemas import (
    MAX_ID,
    PageQuerySchema,
    StatusStepSchema,
    Text,
    all_optional,
    page_of,
    page_schema,
    query_id,
    url_id,
)
from app.web.i18n import N_
from franchise import queries
from franchise.models import ORDER_STATUSES, SERVICE_KINDS, Order, Product
from franchise.services import catalog, order_flow, replacements
from franchise.services import orders as order_service
from franchise.services.pricing import LINES_WITH_SNAPSHOTS, load_snapshots, snapshot_dict

blp = Blueprint(
    "commerce_orders_api",
    __name__,
    url_prefix="/api/v1",
    description="Products and orders for HQ, franchise owners and guides",
)

STAFF = (*HQ_ROLES, FRANCHISE_OWNER, GUIDE)


# --- schemas (shared with the mini-program API) -------------------------------------


class ProductSchema(Schema):
    id = fields.Integer(dump_only=True)
    sku = fields.String()
    name = fields.String()
    category = fields.String()
    price_fen = fields.Integer()
    stock = fields.Integer()
    care_interval_days = fields.Integer(allow_none=True)
    care_kind = fields.String(allow_none=True)
    description = fields.String()
    image_url = fields.String()
    is_active = fields.Boolean()
    created_at = fields.DateTime(dump_only=True)


SKU_RULES = [
    validate.Length(min=1, max=32),
    validate.Regexp(r"^[A-Za-z0-9_.-]+$", error=N_("Letters, digits, -, _ and .")),
]


class ProductCreateSchema(Schema):
    sku = Text(required=True, validate=SKU_RULES)
    name = Text(required=True, validate=validate.Length(min=1, max=64))
    category = Text(validate=validate.Length(max=32))
    price_fen = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=0, max=10**10)
    )
    stock = fields.Integer(strict=True, validate=validate.Range(min=0, max=10**7))
    care_interval_days = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=3650)
    )
    care_kind = fields.String(allow_none=True, validate=validate.OneOf(SERVICE_KINDS))
    description = fields.String(validate=validate.Length(max=4000))
    image_url = Text(validate=validate.Length(max=255))
    is_active = fields.Boolean()


ProductUpdateSchema = all_optional(ProductCreateSchema, "ProductUpdateSchema")


class ProductQuerySchema(PageQuerySchema):
    category = Text(validate=validate.Length(max=32))
    is_active = fields.Boolean()


class OrderLineSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    unit_price_fen = fields.Integer()
    quantity = fields.Integer()
    line_total_fen = fields.Integer()
    # issue 19: every price component the line was sold at (None for older lines)
    # (loaded with the lines: LINES_WITH_SNAPSHOTS on lists, load_snapshots on one order)
    pricing = fields.Function(lambda line: snapshot_dict(line.price_snapshot))


class OrderEventSchema(StatusStepSchema):
    actor_user_id = fields.Integer(allow_none=True)
    actor_role = fields.String()


class OrderSchema(Schema):
    id = fields.Integer()
    order_no = fields.String()
    status = fields.String()
    customer_id = fields.Integer()
    franchisee_id = fields.Integer()
    store_id = fields.Integer(allow_none=True)
    guide_id = fields.Integer(allow_none=True)
    campaign_id = fields.Integer(allow_none=True)
    coupon_id = fields.Integer(allow_none=True)
    fulfilment = fields.String()
    total_fen = fields.Integer()
    discount_fen = fields.Integer()
    payable_fen = fields.Integer()
    points_used = fields.Integer()  # --- members: points spent on it and their value
    points_fen = fields.Integer()
    paid_fen = fields.Integer()
    refunded_fen = fields.Integer()
    paid_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    lines = fields.List(fields.Nested(OrderLineSchema))


class OrderDetailSchema(OrderSchema):
    events = fields.List(fields.Nested(OrderEventSchema))
    allowed_transitions = fields.List(fields.String())
    # issue 19: an exchange after a defect: ``{"id", "order_no", "status"}`` or null
    replacement = fields.Function(lambda o: replacements.reference(replacements.replacement_of(o)))
    replaces = fields.Function(lambda o: replacements.reference(replacements.original_of(o)))


class OrderFilterSchema(Schema):
    """The orders' filters: the API's query and the orders page's filter bar."""

    status = Text(validate=validate.OneOf(ORDER_STATUSES))
    franchisee_id = query_id()
    store_id = query_id()
    guide_id = query_id()
    campaign_id = query_id()
    date_from = fields.Date()
    date_to = fields.Date()


class OrderQuerySchema(PageQuerySchema, OrderFilterSchema):
    pass


class TransitionSchema(Schema):
    to = Text(required=True, validate=validate.OneOf(order_flow.STAFF_TARGETS))
    note = Text(load_default="", validate=validate.Length(max=255))


ProductPageSchema = page_schema(ProductSchema, "ProductPage")
OrderPageSchema = page_schema(OrderSchema, "OrderPage")


def with_actions(order: Order) -> Order:
    """Attach ``allowed_transitions`` (the caller's possible moves) for the detail schema,
    and load the lines' price snapshots in one statement."""
    principal = required_principal()
    order.allowed_transitions = order_flow.visible_actions(order, principal)
    load_snapshots(order.lines)
    return order


def order_page(args: dict) -> dict:
    """One page of the order listing, each order's lines and their snapshots loaded with
    it (three statements besides the count, whatever the page holds)."""
    return page_of(queries.order_stmt(args).options(LINES_WITH_SNAPSHOTS), args)


def product_or_404(product_id: int) -> Product:
    product = db.session.get(Product, url_id(product_id))
    if product is None:
        raise NotFound("Product not found")
    return product


# --- products ---------------------------------------------------------------------


@blp.route("/products")
class Products(MethodView):
    @api_roles(*STAFF)
    @blp.arguments(ProductQuerySchema, location="query")
    @blp.response(200, ProductPageSchema)
    def get(self, args):
        """List products (filters: category, is_active, q on name or sku)."""
        return page_of(catalog.product_stmt(args), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(ProductCreateSchema)
    @blp.response(201, ProductSchema)
    @blp.alt_response(409, description="The SKU is already in use")
    def post(self, body):
        """Create a product (HQ)."""
        return catalog.create_product(body)


@blp.route("/products/<int:product_id>")
class ProductItem(MethodView):
    @api_roles(*STAFF)
    @blp.response(200, ProductSchema)
    @blp.alt_response(404, description="No such product")
    def get(self, product_id):
        """Show one product."""
        return product_or_404(product_id)

    @api_roles(*HQ_ROLES)
    @blp.arguments(ProductUpdateSchema)
    @blp.response(200, ProductSchema)
    @blp.alt_response(404, description="No such product")
    @blp.alt_response(409, description="The SKU is already in use")
    def patch(self, body, product_id):
        """Change a product: price, stock, care interval, active (HQ)."""
        return catalog.update_product(product_or_404(product_id), body)


# --- orders -----------------------------------------------------------------------


@blp.route("/orders")
class Orders(MethodView):
    @api_roles(*STAFF)
    @blp.arguments(OrderQuerySchema, location="query")
    @blp.response(200, OrderPageSchema)
    def get(self, args):
        """List orders (filters: status, franchisee, store, guide, campaign, date_from/to)."""
        return order_page(args)


@blp.route("/orders/<int:order_id>")
class OrderItem(MethodView):
    @api_roles(*STAFF)
    @blp.response(200, OrderDetailSchema)
    @blp.alt_response(404, description="No such order, or not yours")
    def get(self, order_id):
        """Show one order with its lines, events and the moves you may make."""
        if not 1 <= order_id <= MAX_ID:
            raise NotFound("Order not found")
        return with_actions(get_scoped_or_404(Order, order_id))


@blp.route("/orders/<int:order_id>/transition")
class OrderTransition(MethodView):
    @api_roles(*STAFF)
    @blp.arguments(TransitionSchema)
    @blp.response(200, OrderDetailSchema)
    @blp.alt_response(403, description="Your role may not make this move")
    @blp.alt_response(404, description="No such order, or not yours")
    @blp.alt_response(409, description="Not allowed from the current state (errors.allowed)")
    def post(self, body, order_id):
        """Move an order: shipped (HQ), received / delivered / picked_up (store),
        completed, cancelled (owner, HQ). Repeating a move is a 409."""
        if not 1 <= order_id <= MAX_ID:
            raise NotFound("Order not found")
        principal = required_principal()
        order = get_scoped_or_404(Order, order_id, order_flow.store_principal(principal))
        order = order_service.transition(order, body["to"], principal, body["note"])
        return with_actions(order)
