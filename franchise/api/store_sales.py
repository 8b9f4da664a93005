"""``POST /api/v1/guide/sales`` (guide token): record an in-store sale
(``franchise.services.store_sales``): 201 with the order (channel ``store``)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.decorators import api_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from franchise.member_schemas import StoreSaleAnswerSchema, StoreSaleSchema
from franchise.services import store_sales

blp = Blueprint(
    "franchise_store_sales_api",
    __name__,
    url_prefix="/api/v1/guide",
    description="Guides: in-store sales",
)


@blp.route("/sales")
class StoreSales(MethodView):
    @api_roles(GUIDE)
    @blp.arguments(StoreSaleSchema)
    @blp.response(201, StoreSaleAnswerSchema)
    @blp.alt_response(404, description="The customer is not one of the store's")
    @blp.alt_response(422, description="Bad lines, amount, payment or coupon (named)")
    def post(self, body):
        """Record a sale made in the store: it counts for levels, points and results."""
        principal = required_principal()
        return store_sales.record_sale(
            principal,
            body["customer_id"],
            body["items"],
            body["amount"],
            body["paid_by"],
            body.get("coupon_code"),
            body["note"],
        )
