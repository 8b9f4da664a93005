"""Payment JSON API: the mini-program's pay call and staff refunds (``/api/v1``).

* ``POST /mp/orders/{id}/pay`` (customer token, own order in status created; else 404 /
  409) → CONTRACT ``{"out_trade_no", "pay_params": {"timeStamp", "nonceStr", "package",
  "signType", "paySign"}}`` for ``wx.requestPayment``. WeChat down → 503, refused → 502.
* ``POST /orders/{id}/refunds`` ``{"amount_fen", "reason"}`` (HQ or the order's franchise
  owner; guides 403, another franchise 404) → 202 with the refund, carried out through
  the outbox. ``GET /orders/{id}/refunds`` lists them.

The payment notify itself is ``POST /api/v1/pay/notify`` (``app.wechat.pay_notify``),
handled by ``franchise.services.payments.handle_notify``.
"""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.decorators import api_roles
from app.auth.models import CUSTOMER, FRANCHISE_OWNER, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404
from app.fast_page import compile_object_dump
from app.money import Yuan
from app.schemas import Text
from franchise.models import Order
from franchise.services import payments, refunds
from franchise.services.order_lines import MAX_ORDER_FEN

blp = Blueprint(
    "payments_api",
    __name__,
    url_prefix="/api/v1",
    description="WeChat Pay: paying an order, refunds",
)

MAX_REFUND_FEN = MAX_ORDER_FEN  # a full refund of the largest order Siyu accepts


class PayParamsSchema(Schema):
    timeStamp = fields.String(required=True)  # noqa: N815 - wx.requestPayment's names
    nonceStr = fields.String(required=True)  # noqa: N815
    package = fields.String(required=True)
    signType = fields.String(  # noqa: N815
        required=True, metadata={"description": "RSA under APIv3 (the default), MD5 under v2"}
    )
    paySign = fields.String(required=True)  # noqa: N815


class PayAnswerSchema(Schema):
    out_trade_no = fields.String(required=True)
    pay_params = fields.Nested(PayParamsSchema, required=True)


class EmptySchema(Schema):
    """No body fields (any sent field is refused)."""


class RefundCreateSchema(Schema):
    amount_fen = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_REFUND_FEN)
    )
    reason = Text(load_default="", validate=validate.Length(max=255))
    inspection_id = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={
            "description": "The appointment id of the order's inspection awaiting a refund "
            "that this refund settles (linked in the same transaction)"
        },
    )


class RefundFormSchema(RefundCreateSchema):
    """The order page's refund form: the same rules, the amount typed in yuan."""

    # the same key, another field kind: marshmallow allows it, the checker cannot see it
    amount_fen = Yuan(data_key="amount", lo=1, hi=MAX_REFUND_FEN, required=True)  # type: ignore[assignment]


class RefundSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    out_refund_no = fields.String()
    amount_fen = fields.Integer()
    reason = fields.String()
    status = fields.String()
    refund_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    succeeded_at = fields.DateTime(allow_none=True)


_dump_refund = compile_object_dump(RefundSchema)


@blp.route("/mp/orders/<int:order_id>/pay")
class PayOrder(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(EmptySchema, required=False)
    @blp.response(200, PayAnswerSchema)
    @blp.alt_response(404, description="No such order, or not yours")
    @blp.alt_response(409, description="The order is not waiting for payment")
    @blp.alt_response(502, description="WeChat Pay refused the order")
    @blp.alt_response(503, description="WeChat Pay is unavailable; try again")
    def post(self, _body, order_id):
        """JSAPI unified order with the franchisee's sub_mch_id; params for wx.requestPayment."""
        return payments.start_payment(get_scoped_or_404(Order, order_id))


@blp.route("/orders/<int:order_id>/refunds")
class OrderRefunds(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.response(200, RefundSchema(many=True))
    @blp.alt_response(404, description="No such order, or not yours")
    def get(self, order_id):
        """The order's refunds."""
        return refunds.refunds_of(get_scoped_or_404(Order, order_id).id)

    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(RefundCreateSchema)
    @blp.response(202, RefundSchema)
    @blp.alt_response(404, description="No such order, or not yours")
    @blp.alt_response(
        409, description="Not paid, more than is left to refund, or the inspection is settled"
    )
    @blp.alt_response(422, description="A bad amount, or no such inspection awaiting a refund")
    def post(self, body, order_id):
        """Refund all or part of a paid order (WeChat is called after commit); with
        ``inspection_id`` the refund settles that inspection's defect."""
        order = get_scoped_or_404(Order, order_id)
        refund = refunds.request_refund(
            order,
            body["amount_fen"],
            body["reason"],
            required_principal(),
            inspection_id=body["inspection_id"],
        )
        # RefundSchema's dump, compiled once (the same dict; jsonify as the route would)
        return jsonify(_dump_refund(refund)), 202
