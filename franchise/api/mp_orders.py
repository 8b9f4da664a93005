"""Mini-program JSON API for products, orders and coupons (``/api/v1/mp``).

* ``GET /products`` and ``GET /products/{id}``: active products only (filters
  ``category``, ``q``; paginated). Public: no token needed (a customer token works too).
* ``POST /orders`` (customer token), the contract body ``{"items": [{"product_id",
  "quantity"}], "coupon_code"?, "share_code"?, "campaign_id"?}`` → 201 with ``id``,
  ``order_no``, ``status``, ``total_fen``, ``discount_fen``, ``payable_fen`` and lines.
* ``GET /orders`` (mine, paginated), ``GET /orders/{id}`` (mine; anyone else's → 404),
  ``POST /orders/{id}/cancel`` (an unpaid order; 409 otherwise).
* ``GET /coupons``: my coupons with their state (issued / redeemed / expired / void).

Payment (``POST /orders/{id}/pay``) lives in the payments area.
"""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.auth.decorators import api_roles
from app.auth.models import CUSTOMER
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.clock import utcnow
from app.errors import NotFound
from app.fast_page import compile_object_dump, json_response
from app.schemas import MAX_ID, PageQuerySchema, Text, page_of, page_schema
from franchise.api.orders import (
    OrderDetailSchema,
    OrderSchema,
    order_page,
    product_or_404,
    with_actions,
)
from franchise.models import CANCELLED, COUPON_ISSUED, ORDER_STATUSES, Coupon, Order
from franchise.schemas_aftersales import FulfilmentChoiceSchema
from franchise.schemas_jewellery import JewelleryProductPageSchema, JewelleryProductSchema
from franchise.services import catalog, order_lines, piece_pricing, pricing, product_list
from franchise.services import coupons as coupon_service
from franchise.services import orders as order_service

blp = Blueprint(
    "commerce_mp_api",
    __name__,
    url_prefix="/api/v1/mp",
    description="Mini-program: products, orders and my coupons",
)


class OrderItemSchema(Schema):
    product_id = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_ID)
    )
    quantity = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=order_lines.MAX_QUANTITY),
    )
    variant_id = fields.Integer(  # issue 19: the ring size / chain length chosen
        strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID)
    )
    piece_id = fields.Integer(  # issue 19: the registered piece chosen (priced by its weight)
        strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID)
    )


class OrderCreateSchema(Schema):
    items = fields.List(
        fields.Nested(OrderItemSchema),
        required=True,
        validate=validate.Length(min=1, max=order_lines.MAX_LINES),
    )
    coupon_code = Text(allow_none=True, validate=validate.Length(min=1, max=20))
    share_code = Text(allow_none=True, validate=validate.Length(min=1, max=32))
    campaign_id = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID)
    )
    # --- members: points to spend (whole, ≥ 0; held and within HQ's cap, else 422)
    points = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    fulfilment = fields.Nested(FulfilmentChoiceSchema)  # issue 19: pickup or delivery


class MpProductQuerySchema(PageQuerySchema):
    category = Text(validate=validate.Length(max=32))


class MpOrderQuerySchema(PageQuerySchema):
    status = Text(validate=validate.OneOf(ORDER_STATUSES))


class CancelSchema(Schema):
    note = Text(load_default="", validate=validate.Length(max=255))


class MyCouponSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.Function(lambda c: c.template.name if c.template else "")
    amount_off_fen = fields.Function(lambda c: c.template.amount_off_fen if c.template else 0)
    threshold_fen = fields.Function(lambda c: c.template.threshold_fen if c.template else 0)
    state = fields.Function(coupon_service.coupon_state)
    issued_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    redeemed_at = fields.DateTime(allow_none=True)
    redeemed_channel = fields.String(allow_none=True)


class MyCouponQuerySchema(PageQuerySchema):
    state = Text(validate=validate.OneOf(("issued", "redeemed", "expired", "void")))


MpOrderPageSchema = page_schema(OrderSchema, "MpOrderPage")
MyCouponPageSchema = page_schema(MyCouponSchema, "MyCouponPage")


def _my_order(order_id: int) -> Order:
    if not 1 <= order_id <= MAX_ID:
        raise NotFound("Order not found")
    return get_scoped_or_404(Order, order_id)


# --- products (public) ------------------------------------------------------------


@blp.route("/products")
class MpProducts(MethodView):
    @blp.arguments(MpProductQuerySchema, location="query")
    @blp.response(200, JewelleryProductPageSchema)
    def get(self, args):
        """Active products (filters: category, q) with pricing mode and variants (today's
        price for by-weight products); no token needed.

        Without ``q``, served from the in-memory product list
        (``franchise.services.product_list``): the page is written to JSON once per
        snapshot, already in ``JewelleryProductPageSchema``'s shape."""
        if not args.get("q"):
            return json_response(product_list.page_json(args))
        page = page_of(catalog.product_stmt(args, active_only=True), args)
        pricing.decorate(list(page["items"]))  # issue 19
        piece_pricing.decorate(list(page["items"]))  # each piece priced by its own weight
        return page


@blp.route("/products/<int:product_id>")
class MpProductItem(MethodView):
    @blp.response(200, JewelleryProductSchema)
    @blp.alt_response(404, description="No such product, or not for sale")
    def get(self, product_id):
        """One active product with its pricing and variants; no token needed."""
        product = product_or_404(product_id)
        if not product.is_active:
            raise NotFound("Product not found")
        pricing.decorate([product])  # issue 19
        return piece_pricing.decorate([product], with_pieces=True)[0]


# --- orders -----------------------------------------------------------------------


_dump_order = compile_object_dump(OrderSchema)


@blp.route("/orders")
class MpOrders(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(MpOrderQuerySchema, location="query")
    @blp.response(200, MpOrderPageSchema)
    def get(self, args):
        """My orders, newest first."""
        return order_page(args)

    @api_roles(CUSTOMER)
    @blp.arguments(OrderCreateSchema)
    @blp.response(201, OrderSchema)
    @blp.alt_response(422, description="Bad lines, no stock, or an unusable coupon")
    def post(self, body):
        """Place an order at list price, with an optional coupon, share code and campaign."""
        principal = required_principal()
        assert principal.customer_id is not None  # a customer's
        order = order_service.create_order(
            principal.customer_id,
            body["items"],
            coupon_code=body.get("coupon_code"),
            share_code=body.get("share_code"),
            campaign_id=body.get("campaign_id"),
            points=body["points"],
            fulfilment=body.get("fulfilment"),  # issue 19
        )
        # OrderSchema's dump, compiled once (the same dict; jsonify as the route would)
        return jsonify(_dump_order(order)), 201


@blp.route("/orders/<int:order_id>")
class MpOrderItem(MethodView):
    @api_roles(CUSTOMER)
    @blp.response(200, OrderDetailSchema)
    @blp.alt_response(404, description="No such order, or not yours")
    def get(self, order_id):
        """One of my orders with its lines and status history."""
        return with_actions(_my_order(order_id))


@blp.route("/orders/<int:order_id>/cancel")
class MpOrderCancel(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(CancelSchema)
    @blp.response(200, OrderDetailSchema)
    @blp.alt_response(404, description="No such order, or not yours")
    @blp.alt_response(409, description="The order is no longer unpaid (errors.allowed)")
    def post(self, body, order_id):
        """Cancel my unpaid order: the stock is given back and the coupon re-issued."""
        principal = required_principal()
        order = _my_order(order_id)
        order = order_service.transition(order, CANCELLED, principal, body["note"])
        return with_actions(order)


# --- coupons ----------------------------------------------------------------------


@blp.route("/coupons")
class MyCoupons(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(MyCouponQuerySchema, location="query")
    @blp.response(200, MyCouponPageSchema)
    def get(self, args):
        """My coupons, newest first, each with its state (issued, redeemed, expired, void)."""
        stmt = scoped(select(Coupon), Coupon).order_by(Coupon.id.desc())
        state = args.get("state")
        now = utcnow()
        if state == "expired":
            stmt = stmt.where(Coupon.status == COUPON_ISSUED, Coupon.expires_at <= now)
        elif state == COUPON_ISSUED:
            stmt = stmt.where(
                Coupon.status == COUPON_ISSUED,
                (Coupon.expires_at.is_(None)) | (Coupon.expires_at > now),
            )
        elif state:
            stmt = stmt.where(Coupon.status == state)
        return page_of(stmt, args)
