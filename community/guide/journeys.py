"""The guide's journey pages (375 px).

* ``/m/journeys/customers/<id>/dates``: the dates a customer gave (wedding day,
  anniversary) that start the ``customer_date`` journeys; another guide's customer is
  404 (``journeys.save_customer_date`` scopes).
* ``POST /m/journeys/sends/<id>/check``: the guide says they sent a journey step in
  WeCom; its result is read back now (the button on ``/m/tasks``), 404 for another's.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.scope import get_scoped_or_404
from app.extensions import db
from app.web.pages import pages_blueprint
from community.admin.journeys import DATE_LABELS
from community.models.journeys import DATE_KINDS, CustomerDate, JourneySend
from community.schemas_journeys import CustomerDateSchema
from community.services import journey_sends, journeys
from franchise.models import Customer

bp = pages_blueprint("community_guide_journeys", __name__, "/m/journeys")


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


@bp.post("/sends/<int:send_id>/check")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def check(send_id: int):
    """The guide says they confirmed the step in WeCom: read its result back now."""
    send = get_scoped_or_404(JourneySend, send_id)
    the_id = send.id
    db.session.commit()
    if journey_sends.read_back([the_id])["confirmed"]:
        flash(_("Sent — thank you."), "success")
    else:
        flash(_("Not confirmed in WeCom yet."), "warning")
    return redirect(url_for("community_tasks.tasks"), 303)
