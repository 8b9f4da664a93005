"""Guide (mobile) pages: ``/m/customers`` (my customers: tier, last order, birthday,
next appointment; search) with a detail page — the guide's one customer page: figures,
call, appointments and, below, what higher domains add through the hook
``GUIDE_CUSTOMER_SECTIONS`` (community: WeCom chat, tags, note, coupon, visit) — and
``/m/appointments`` (my store's upcoming appointments, where the guide records what a
visit came to: a cleaning or maintenance visit attended opens its service ticket; an O2O
inspection is accepted, or a defect exchanged or refunded, on
``/m/appointments/<id>/inspection`` with its result on ``/m/appointments/<id>/result``). A guide
sees only their own customers (tenant scope); another guide's or franchise's customer
answers 404, another store's appointment too.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.clock import shanghai_day, utcnow
from app.errors import DomainError
from app.extensions import db, hooks
from app.list_query import search
from app.request_body import accepts_upload
from app.web.form_input import load_form
from app.web.listing import paginate
from franchise.guide.member_card import member_card
from franchise.models import (
    PAID_STATUSES,
    SERVICE_KINDS,
    Appointment,
    Customer,
    InspectionPhoto,
    Order,
    Store,
)
from franchise.schemas_aftersales import OutcomeSchema
from franchise.services import (
    appointment_outcomes,
    inspections,
    order_flow,
    piece_care,
    ticket_photos,
)
from franchise.services.pieces import customer_pieces_stmt  # issue 19
from franchise.services.service_tickets import kind_label

bp = Blueprint(
    "franchise_guide_customers", __name__, url_prefix="/m", template_folder="../templates"
)
BIRTHDAY_SOON_DAYS = 7
# listeners(customer) -> Markup: sections a higher domain adds to the guide's customer page
GUIDE_CUSTOMER_SECTIONS = "franchise.guide_customer_sections"
KIND_LABELS = {
    "try_on": _l("Try-on"),
    "maintenance": _l("Cleaning / maintenance"),
    "inspection": _l("Inspect an online order"),
}


def days_to_birthday(birthday: date | None, today: date) -> int | None:
    """Days until the next birthday (0 = today); 29 February counts as 28 February."""
    if birthday is None:
        return None
    for year in (today.year, today.year + 1):
        try:
            upcoming = birthday.replace(year=year)
        except ValueError:
            upcoming = date(year, 2, 28)
        if upcoming >= today:
            return (upcoming - today).days
    return None


def owned_pieces(customer_id: int) -> list:
    """The pieces a customer bought (issue 19), newest first, at most 50."""
    return list(db.session.scalars(customer_pieces_stmt(customer_id).limit(50)))


def _order_figures(ids: list[int]) -> dict[int, tuple]:
    """``{customer id: (last paid order's time, paid orders)}`` from one query, so the
    last order and the count shown beside it always agree (the stored ``order_count`` is
    refreshed by a job and may lag)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            Order.customer_id,
            func.max(func.coalesce(Order.paid_at, Order.created_at)),
            func.count(Order.id),
        )
        .where(Order.customer_id.in_(ids), Order.status.in_(PAID_STATUSES))
        .group_by(Order.customer_id)
    ).all()
    return {customer_id: (last, count) for customer_id, last, count in rows}


def _next_visits(ids: list[int]) -> dict:
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Appointment.customer_id, func.min(Appointment.slot_start))
            .where(
                Appointment.customer_id.in_(ids),
                Appointment.status == "booked",
                Appointment.slot_start > utcnow(),
            )
            .group_by(Appointment.customer_id)
        ).all()
    )


@bp.route("/customers")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def customers():
    """My customers, upcoming birthdays first marked, with a search box."""
    stmt = scoped(select(Customer), Customer).order_by(Customer.id.desc())
    q = (request.args.get("q") or "").strip()[:64]
    stmt = search(stmt, q, Customer.nickname, Customer.phone)
    page = paginate(stmt)
    ids = [c.id for c in page.items]
    today = shanghai_day()
    figures, visits = _order_figures(ids), _next_visits(ids)
    rows = [
        {
            "customer": c,
            "last_order": figures.get(c.id, (None, 0))[0],
            "next_visit": visits.get(c.id),
            "birthday_in": days_to_birthday(c.birthday, today),
        }
        for c in page.items
    ]
    return render_template(
        "franchise/guide/customers.html", rows=rows, page=page, q=q, soon=BIRTHDAY_SOON_DAYS
    )


@bp.route("/customers/<int:object_id>")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def customer(object_id):
    """One of my customers: figures, call, appointments and the other domains' actions."""
    c = get_scoped_or_404(Customer, object_id)
    last_order, orders = _order_figures([c.id]).get(c.id, (None, 0))
    visits = db.session.scalars(
        select(Appointment)
        .where(Appointment.customer_id == c.id)
        .order_by(Appointment.slot_start.desc())
        .limit(50)
    ).all()
    today = shanghai_day()
    return render_template(
        "franchise/guide/customers_detail.html",
        customer=c,
        visits=visits,
        kinds=KIND_LABELS,
        last_order=last_order,
        orders=orders,
        birthday_in=days_to_birthday(c.birthday, today),
        soon=BIRTHDAY_SOON_DAYS,
        sections=[listener(c) for listener in hooks(GUIDE_CUSTOMER_SECTIONS)],
        member=member_card(c.id),  # --- members: level, points, benefits
        pieces=owned_pieces(c.id),  # issue 19: the pieces they bought, with certificates
        care=piece_care.by_piece(c.id),  # and when each is next due for care
        care_today=today,
    )


@bp.route("/appointments")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def appointments():
    """My store's booked appointments from now on, the next 14 days."""
    principal = required_principal()
    now = utcnow()
    store = get_scoped_or_404(Store, principal.store_id or 0)
    visits = db.session.execute(
        select(Appointment, Customer)
        .join(Customer, Customer.id == Appointment.customer_id)
        .where(
            Appointment.store_id == store.id,
            Appointment.franchisee_id == store.franchisee_id,
            Appointment.status == "booked",
            Appointment.slot_start >= now - timedelta(hours=1),
            Appointment.slot_start < now + timedelta(days=14),
        )
        .order_by(Appointment.slot_start)
        .limit(200)
    ).all()
    return render_template(
        "franchise/guide/customers_appointments.html",
        visits=visits,
        kinds=KIND_LABELS,
        store=store,
        me=principal.guide_id,
        service_kinds=[(k, kind_label(k)) for k in SERVICE_KINDS],
    )


@bp.route("/appointments/<int:appointment_id>/outcome", methods=["POST"])
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def appointment_outcome(appointment_id: int):
    """What the visit came to (``appointment_outcomes.record``): attended or no-show; an
    attended cleaning / maintenance visit opens its ticket, and the guide lands on it."""
    principal = required_principal()
    scope = order_flow.store_principal(principal)
    appointment = get_scoped_or_404(Appointment, appointment_id, scope)
    try:
        data = load_form(OutcomeSchema(), request.form)
        if appointment.kind != "maintenance":
            data.pop("service_kind", None)
        row = appointment_outcomes.record(appointment, data, principal)
    except DomainError as exc:
        messages = [str(m) for v in (exc.errors or {}).values() for m in v]
        flash(" ".join(messages) or exc.message, "error")
        return redirect(url_for(".appointments"), 303)
    if row.service_ticket_id:
        flash(_("Visit recorded; its service ticket is open."), "success")
        return redirect(url_for("aftersales_guide.detail", ticket_id=row.service_ticket_id), 303)
    flash(_("Visit recorded."), "success")
    return redirect(url_for(".appointments"), 303)


def _inspection(appointment_id: int) -> Appointment:
    """My store's O2O inspection ``appointment_id`` (another store's, or not an inspection:
    404)."""
    scope = order_flow.store_principal(required_principal())
    appointment = get_scoped_or_404(Appointment, appointment_id, scope)
    if appointment.kind != "inspection":
        abort(404)
    return appointment


@bp.route("/appointments/<int:appointment_id>/inspection", methods=["GET", "POST"])
@accepts_upload(ticket_photos.PHOTO_BODY_BYTES)
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def inspection(appointment_id: int):
    """The inspection's outcome: accepted, or a defect with a note and a remedy (exchange:
    a replacement order; refund: the existing refund path). Loaded by the API's schema;
    bad input answers 422 with the field's message beside it."""
    appointment = _inspection(appointment_id)
    if inspections.view(appointment) is not None:
        return redirect(url_for(".inspection_result", appointment_id=appointment.id), 303)
    errors: dict = {}
    if request.method == "POST":
        try:
            data = load_form(OutcomeSchema(), request.form)
            data["outcome"] = "attended"
            photos = ticket_photos.uploaded(request.files)  # 422 before anything is kept
            row = appointment_outcomes.record(appointment, data, required_principal())
            if photos:
                ticket_photos.add_photos(
                    row, photos, InspectionPhoto, taken_by=required_principal().user_id
                )
        except DomainError as exc:
            errors = exc.errors or {"form": [exc.message]}
        else:
            return redirect(url_for(".inspection_result", appointment_id=appointment.id), 303)
    return render_template(
        "franchise/guide/inspection_outcome.html",
        appointment=appointment,
        customer=db.session.get(Customer, appointment.customer_id),
        order=db.session.get(Order, appointment.order_id or 0),
        values=request.form,
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/appointments/<int:appointment_id>/result")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def inspection_result(appointment_id: int):
    """What the inspection came to: the result in words, and the replacement order or the
    refund it led to (or that the owner is to issue the refund)."""
    appointment = _inspection(appointment_id)
    shown = inspections.view(appointment)
    if shown is None:
        return redirect(url_for(".inspection", appointment_id=appointment.id), 303)
    return render_template(
        "franchise/guide/inspection_result.html",
        shown=shown,
        order=db.session.get(Order, appointment.order_id or 0),
        customer=db.session.get(Customer, appointment.customer_id),
    )


@bp.route("/appointments/<int:appointment_id>/photos/<int:photo_id>")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def inspection_photo(appointment_id: int, photo_id: int):
    """A photo of my store's inspection."""
    appointment = _inspection(appointment_id)
    photo = ticket_photos.photo_of(InspectionPhoto, appointment.id, photo_id)
    return ticket_photos.photo_response(photo)
