"""The guide's trade-in desk (``/m/trade-ins``, 以旧换新), built for a phone at 375 px.

* the list: my store's trade-ins, newest first, and the intake form: the customer by
  member number or phone (a customer of my store), the metal, the weight on the store's
  scale in grams and the purity the tester reads in ‰; ``trade_in.take_in`` values it at
  the day's buy-back price;
* a trade-in: its value and steps; while valued, credit it against one of the customer's
  unpaid orders (``trade_in.credit`` lowers the payable and posts the old gold to the
  ledger).

Another store's trade-in is 404. Views call services and never commit.
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.errors import DomainError
from app.extensions import db
from app.i18n import tr
from app.web.form_input import load_form
from franchise.admin.aftersales import TRADE_IN_LABELS
from franchise.admin.jewellery import METAL_LABELS
from franchise.models import CREATED, Customer, Order, TradeIn
from franchise.schemas_aftersales import TradeInIntakeFormSchema
from franchise.services import case_history, order_flow, trade_in
from franchise.services.base import invalid

bp = Blueprint(
    "trade_in_guide", __name__, url_prefix="/m/trade-ins", template_folder="../templates"
)
LOGIN = "auth.mobile_login"
MEMBER_NO = re.compile(r"[Mm]?0*(\d{1,9})")


def _scope():
    return order_flow.store_principal(required_principal())


def _customer(text: str) -> Customer:
    """A customer of my store by member number (``M000000218``) or phone."""
    text = text.strip()
    stmt = scoped(select(Customer), Customer, _scope())
    if re.fullmatch(r"1\d{10}", text):
        found = db.session.scalars(stmt.where(Customer.phone == text)).first()
    elif match := MEMBER_NO.fullmatch(text):
        found = db.session.scalars(stmt.where(Customer.id == int(match.group(1)))).first()
    else:
        found = None
    if found is None:
        raise invalid("customer", "No customer of this store with that member number or phone.")
    return found


def _intake_body() -> dict:
    """The form through ``TradeInIntakeFormSchema`` as ``trade_in.take_in``'s body: the
    typed customer resolved within my store, the store mine."""
    body = load_form(TradeInIntakeFormSchema(), request.form)
    body["customer_id"] = _customer(body.pop("customer")).id
    body["store_id"] = required_principal().store_id
    return body


@bp.route("", methods=["GET", "POST"])
@page_roles(GUIDE, login_endpoint=LOGIN)
def trade_ins():
    """My store's trade-ins and the intake form."""
    errors: dict = {}
    if request.method == "POST":
        try:
            row = trade_in.take_in(_intake_body(), required_principal())
        except DomainError as exc:
            errors = exc.errors or {"form": [exc.message]}
        else:
            flash(_("Trade-in %(no)s valued.", no=row.trade_in_no), "success")
            return redirect(url_for(".detail", trade_in_id=row.id), 303)
    rows = db.session.scalars(
        scoped(select(TradeIn), TradeIn, _scope()).order_by(TradeIn.id.desc()).limit(50)
    ).all()
    return render_template(
        "franchise/aftersales/guide_trade_ins.html",
        rows=rows,
        metals=METAL_LABELS,
        states=TRADE_IN_LABELS,
        values=request.form,
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/<int:trade_in_id>", methods=["GET", "POST"])
@page_roles(GUIDE, login_endpoint=LOGIN)
def detail(trade_in_id: int):
    """One trade-in; while valued, credit it against one of the customer's unpaid orders."""
    row = get_scoped_or_404(TradeIn, trade_in_id, _scope())
    if request.method == "POST":
        try:
            order_id = request.form.get("order_id", "")
            if not order_id.isdigit():
                raise invalid("order_id", "Choose the order.")
            trade_in.credit(row, int(order_id), required_principal())
        except DomainError as exc:
            messages = [str(m) for v in (exc.errors or {}).values() for m in v]
            flash(" ".join(tr(m) for m in messages) or tr(exc.message), "error")
        else:
            flash(_("Credited against the order."), "success")
        return redirect(url_for(".detail", trade_in_id=row.id), 303)
    orders = db.session.scalars(
        select(Order)
        .where(
            Order.customer_id == row.customer_id,
            Order.franchisee_id == row.franchisee_id,
            Order.status == CREATED,
            Order.out_trade_no.is_(None),
        )
        .order_by(Order.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "franchise/aftersales/guide_trade_in.html",
        row=row,
        orders=orders,
        metals=METAL_LABELS,
        states=TRADE_IN_LABELS,
        h=case_history,
    )
