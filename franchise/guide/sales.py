"""The guide's "record a sale" page (``/m/sales/new``, 375 px and up): pick one of the
store's customers, up to three product lines, the amount paid and how, an optional
coupon; the form loads through the API's ``StoreSaleSchema`` (each line's
``product_id.<n>`` / ``quantity.<n>`` through ``SaleItemSchema``) and
``franchise.services.store_sales.record_sale`` writes the order. Per-field errors
come back on the page (422); success goes to the customer's page.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.errors import DomainError
from app.extensions import db
from app.validation_messages import flat_errors
from app.web.form_input import form_values
from franchise.member_schemas import SaleItemSchema, StoreSaleSchema
from franchise.models import PAID_BY, Customer, Product
from franchise.services import store_sales
from franchise.services.order_flow import store_principal

bp = Blueprint("guide_sales", __name__, url_prefix="/m/sales", template_folder="../templates")

PAID_BY_LABELS = {
    "cash": _l("Cash"),
    "card": _l("Bank card"),
    "wechat": _l("WeChat Pay at the counter"),
    "alipay": _l("Alipay"),
}
LINES = 3


def _load(form) -> dict:
    """The form as the API's JSON, loaded by ``StoreSaleSchema`` (raises
    ``ValidationError``): the lines with a product chosen become ``items``."""
    body = form_values(StoreSaleSchema(), form)
    body["items"] = []
    for n in range(LINES):
        row = MultiDict(
            [(k.split(".")[0], v) for k, v in form.items(multi=True) if k.endswith(f".{n}")]
        )
        if row.get("product_id"):
            body["items"].append(form_values(SaleItemSchema(), row))
    return StoreSaleSchema().load(body)


@bp.route("/new", methods=["GET", "POST"])
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def new_sale():
    """The form (GET) and recording the sale (POST)."""
    principal = required_principal()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            body = _load(request.form)
            order = store_sales.record_sale(
                principal,
                body["customer_id"],
                body["items"],
                body["amount"],
                body["paid_by"],
                body.get("coupon_code") or None,
                body["note"],
            )
            flash(_("Sale %(no)s recorded.", no=order.order_no), "success")
            return redirect(
                url_for("franchise_guide_customers.customer", object_id=order.customer_id), 303
            )
        except ValidationError as exc:
            errors, status = flat_errors(exc.messages), 422
        except DomainError as exc:
            errors = exc.errors or {"form": [exc.message]}
            status = exc.status
    customers = db.session.scalars(
        scoped(select(Customer), Customer, store_principal(principal))
        .order_by(Customer.nickname)
        .limit(500)
    ).all()
    products = db.session.scalars(
        select(Product).where(Product.is_active.is_(True)).order_by(Product.name).limit(500)
    ).all()
    return render_template(
        "franchise/guide/sales_new.html",
        customers=customers,
        products=products,
        paid_by=[(code, PAID_BY_LABELS[code]) for code in PAID_BY],
        values=request.form,
        chosen=request.values.get("customer_id", ""),
        errors=errors,
        lines=LINES,
    ), status
