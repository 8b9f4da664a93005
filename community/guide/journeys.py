"""The guide's form for the dates a customer gave (``/m/journeys/customers/<id>/dates``):
a wedding day and an anniversary that start the ``customer_date`` journeys; another
guide's customer is 404 (``journeys.save_customer_date`` scopes). 375 px."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.scope import get_scoped_or_404
from app.extensions import db
from community.admin.journeys import DATE_LABELS
from community.models.journeys import DATE_KINDS, CustomerDate
from community.schemas_journeys import CustomerDateSchema
from community.services import journeys
from franchise.models import Customer

bp = Blueprint(
    "community_guide_journeys", __name__, url_prefix="/m/journeys", template_folder="../templates"
)


@bp.route("/customers/<int:customer_id>/dates", methods=["GET", "POST"])
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def dates(customer_id: int):
    """The customer's dates; each kind saved on its own (a blank one is left as it is)."""
    customer = get_scoped_or_404(Customer, customer_id)
    errors: dict = {}
    if request.method == "POST":
        for kind in DATE_KINDS:
            raw = request.form.get(kind, "").strip()
            if not raw:
                continue
            try:
                body = CustomerDateSchema().load(
                    {"customer_id": customer.id, "kind": kind, "day": raw}
                )
                journeys.save_customer_date(body)
            except ValidationError as exc:
                errors[kind] = exc.normalized_messages().get("day", [_("Not a date.")])
        if not errors:
            flash(_("Dates saved."), "success")
            return redirect(url_for(".dates", customer_id=customer.id), 303)
    kept = {
        row.kind: row.day
        for row in db.session.scalars(
            select(CustomerDate).where(CustomerDate.customer_id == customer.id)
        )
    }
    return render_template(
        "community/guide/customer_dates.html",
        customer=customer,
        kinds=[(k, DATE_LABELS[k]) for k in DATE_KINDS],
        kept=kept,
        errors=errors,
    ), (422 if errors else 200)
