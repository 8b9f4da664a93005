"""The guide's hand-over page (``/m/orders``): orders of my store waiting for me.

Shipped orders can be marked received by the store; received ones picked up or
delivered; delivered / picked-up ones completed. The list reads the store's orders
through the tenant scope with the guide's principal widened to their store
(``franchise.services.order_flow.store_principal``); each button posts a CSRF-protected
form that calls ``franchise.services.orders.transition`` (which commits).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.db import fixed_values
from app.extensions import db
from app.web.page_action import flashed
from franchise.models import (
    COMPLETED,
    DELIVERED,
    PICKED_UP,
    RECEIVED,
    SHIPPED,
    Order,
)
from franchise.services import fulfilment, order_flow  # fulfilment: issue 19
from franchise.services import orders as order_service
from franchise.services.order_flow import status_label

bp = Blueprint("guide_orders", __name__, url_prefix="/m/orders", template_folder="../templates")

WAITING = (SHIPPED, RECEIVED, DELIVERED, PICKED_UP)
BUTTONS = {
    RECEIVED: _l("Received in store"),
    PICKED_UP: _l("Picked up"),
    DELIVERED: _l("Delivered"),
    COMPLETED: _l("Complete"),
}


def store_orders_stmt():
    """Orders of the guide's store, through the scope helper (store-wide principal)."""
    principal = required_principal()
    return scoped(select(Order), Order, order_flow.store_principal(principal))


@bp.route("")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def orders():
    """Orders to hand over (received first), then the store's recent ones."""
    principal = required_principal()
    waiting = db.session.scalars(
        store_orders_stmt()
        .where(Order.status.in_(fixed_values(Order.status, WAITING)))
        .order_by(Order.status != RECEIVED, Order.updated_at.desc())
        .limit(50)
    ).all()
    recent = db.session.scalars(
        store_orders_stmt().where(Order.status.not_in(WAITING)).order_by(Order.id.desc()).limit(10)
    ).all()
    return render_template(
        "franchise/guide/orders.html",
        waiting=[
            (
                o,
                [
                    (to, BUTTONS[to])
                    for to in order_flow.visible_actions(o, principal)
                    if to in BUTTONS
                ],
            )
            for o in waiting
        ],
        recent=recent,
        status_label=status_label,
    )


@bp.route("/<int:order_id>/transition", methods=["POST"])
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def transition(order_id):
    """One hand-over step from a button on the list."""
    principal = required_principal()
    to = request.form.get("to", "")
    order = get_scoped_or_404(Order, order_id, order_flow.store_principal(principal))
    if to not in BUTTONS:
        flash(_("Unknown action."), "error")
    else:
        with flashed(_("Order %(no)s: %(status)s.", no=order.order_no, status=status_label(to))):
            pickup = fulfilment.of(order)  # issue 19: a pickup order is handed over on its code
            if to == "picked_up" and pickup is not None and pickup.mode == "pickup":
                fulfilment.verify_pickup(order, request.form.get("code") or "", principal)
            else:
                order_service.transition(order, to, principal, "")
    return redirect(url_for("guide_orders.orders"), 303)
