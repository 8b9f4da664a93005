"""Consignment admin pages (寄售, issue 19) for HQ (every franchise) and franchise owners
(their own; another franchise's consignment is 404).

* ``/admin/consignments``: the list, filtered by state, store, consignor (name or phone)
  and number; pages and CSV.
* ``/admin/consignments/new``: intake: the consignor picked from the caller's customers
  (searched by name or phone), the piece, photos, and optionally the appraisal, the
  agreed price and the commission in per cent; the form loads through
  ``ConsignmentIntakeFormSchema`` (the API's fields, amounts typed in yuan).
* ``/admin/consignments/<id>``: the piece, its amounts, the step line (received →
  appraised → agreed → listed → sold → paid out, or returned), the history, the
  photos, and a form for each next step (``ConsignmentStepFormSchema``), which goes
  through ``franchise.services.consignment.move``.

Views call services and never commit.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.errors import DomainError
from app.extensions import db
from app.list_query import search
from app.request_body import accepts_upload
from app.web.form_input import load_form
from app.web.labels import customer_name, label, options
from app.web.listing import Column
from franchise.admin.support import choices, render_list, select_filter, text_filter
from franchise.models import Consignment, ConsignmentPhoto, Customer, Store
from franchise.schemas_consignment import (
    ConsignmentFilterSchema,
    ConsignmentIntakeFormSchema,
    ConsignmentStepFormSchema,
)
from franchise.services import consignment, order_flow, ticket_photos

bp = Blueprint(
    "consignment_admin", __name__, url_prefix="/admin/consignments", template_folder="../templates"
)
MAX_CUSTOMERS = 50  # the consignor choices a search shows
# the button of each step (a verb; the state it leads to is shown in the step line)
STEP_ACTIONS = {
    "appraised": _l("Record the appraisal"),
    "agreed": _l("Agree the price"),
    "listed": _l("List for sale"),
    "sold": _l("Mark as sold"),
    "paid_out": _l("Pay the consignor"),
    "returned": _l("Return to the consignor"),
}


def consignment_columns() -> list[Column]:
    return [
        Column(
            "consignment_no",
            _l("Consignment"),
            link=lambda c: url_for("consignment_admin.detail", object_id=c.id),
        ),
        Column("consignor", _l("Consignor"), value=lambda c: customer_name(c.customer)),
        Column("store", _l("Store"), value=lambda c: c.store.name),
        Column("description", _l("Piece")),
        Column("appraised_fen", _l("Appraised value"), money=True),
        Column("agreed_price_fen", _l("Agreed price"), money=True),
        Column("commission", _l("Commission"), value=lambda c: percent(c.commission_bps)),
        Column("status", _l("State"), value=lambda c: label(c.status, "consignment_status")),
        Column("payout_fen", _l("Paid to the consignor"), money=True),
        Column("created_at", _l("Consigned at"), time=True),
    ]


def percent(bps: int) -> str:
    """Basis points as a percentage: ``1250`` → ``12.5%``."""
    return f"{bps / 100:g}%"


def _stmt(args: dict):
    return scoped(consignment.consignment_stmt(args), Consignment, _scope())


def _scope():
    return order_flow.store_principal(required_principal())


@bp.route("")
@page_roles(*ADMIN_UI_ROLES)
def consignments():
    """Consignments through the tenant scope; CSV with ``?format=csv``."""
    return render_list(
        _l("Consignments"),
        ConsignmentFilterSchema,
        _stmt,
        consignment_columns(),
        [
            text_filter("q", _l("Consignment number")),
            text_filter("consignor", _l("Consignor (name or phone)")),
            select_filter("status", _l("State"), [("", _l("All"))] + options("consignment_status")),
            select_filter("store_id", _l("Store"), choices(Store, blank=_l("All"))),
        ],
        "consignments.csv",
        "consignment_admin.new",
        new_for_all=True,
    )


def _consignors(q: str) -> list[Customer]:
    """The caller's customers matching ``q`` (name or phone), newest first."""
    stmt = scoped(select(Customer), Customer).order_by(Customer.id.desc())
    stmt = search(stmt, q, Customer.nickname, Customer.phone)
    return list(db.session.scalars(stmt.limit(MAX_CUSTOMERS)))


@bp.route("/new", methods=["GET", "POST"])
@accepts_upload(ticket_photos.PHOTO_BODY_BYTES)
@page_roles(*ADMIN_UI_ROLES)
def new():
    """Take a piece in on consignment."""
    errors: dict = {}
    if request.method == "POST":
        try:
            body, files = (
                load_form(ConsignmentIntakeFormSchema(), request.form),
                ticket_photos.uploaded(request.files),
            )
            row = consignment.take_in(body, required_principal())
            if files:
                ticket_photos.add_photos(
                    row, files, ConsignmentPhoto, taken_by=required_principal().user_id
                )
        except DomainError as exc:
            errors = exc.errors or {"form": [exc.message]}
        else:
            flash(_("Consignment %(no)s taken in.", no=row.consignment_no), "success")
            return redirect(url_for("consignment_admin.detail", object_id=row.id), 303)
    q = (request.values.get("q") or "").strip()[:64]
    return render_template(
        "franchise/consignment/intake.html",
        consignors=_consignors(q),
        stores=choices(Store),
        q=q,
        values=request.form,
        errors=errors,
    ), (422 if errors else 200)


def _detail(row: Consignment, errors: dict | None = None, status: int = 200):
    return render_template(
        "franchise/consignment/detail.html",
        row=row,
        steps=consignment.timeline(row),
        allowed=consignment.CONSIGNMENT_FLOW.get(row.status, ()),
        percent=percent,
        actions=STEP_ACTIONS,
        errors=errors or {},
        values=request.form,
    ), status


@bp.route("/<int:object_id>")
@page_roles(*ADMIN_UI_ROLES)
def detail(object_id):
    """One consignment: amounts, steps, history, photos and the next steps."""
    return _detail(get_scoped_or_404(Consignment, object_id, _scope()))


@bp.route("/<int:object_id>/move", methods=["POST"])
@page_roles(*ADMIN_UI_ROLES)
def move(object_id):
    """One step along the flow (out of order: 422 on the page, nothing changes)."""
    row = get_scoped_or_404(Consignment, object_id, _scope())
    try:
        body = load_form(ConsignmentStepFormSchema(), request.form)
        consignment.move(row, body["to"], required_principal(), body)
    except DomainError as exc:
        db.session.refresh(row)
        return _detail(row, exc.errors or {"form": [exc.message]}, 422)
    flash(_("Now: %(state)s.", state=label(row.status, "consignment_status")), "success")
    return redirect(url_for("consignment_admin.detail", object_id=row.id), 303)


@bp.route("/<int:object_id>/photos/<int:photo_id>")
@page_roles(*ADMIN_UI_ROLES)
def photo(object_id, photo_id):
    """A photo of a consignment the caller may see."""
    row = get_scoped_or_404(Consignment, object_id, _scope())
    picture = ticket_photos.photo_of(ConsignmentPhoto, row.id, photo_id)
    return ticket_photos.photo_response(picture)
