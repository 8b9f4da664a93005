"""The guide's service desk (``/m/service-tickets``, issue 19), built for a phone at 375 px.

* the list: my store's tickets, open ones first, overdue marked;
* intake (``/new``): the customer (one of my store's), the service, the piece's serial when it
  was bought here, the condition at intake and photos taken with the phone's camera;
  the form loads through the API's ``TicketIntakeSchema`` (``app.web.form_input``) and
  the photos are checked before anything is written;
* a ticket: its photos, history and the next steps (a quote in yuan when received).

Another store's ticket is 404. Views call services and never commit.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import case, select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.errors import DomainError
from app.extensions import db
from app.money import YuanError, parse_yuan
from app.request_body import accepts_upload
from app.web.form_input import load_form
from franchise.models import SERVICE_KINDS, Customer, Piece, ServiceTicket, ServiceTicketPhoto
from franchise.schemas_aftersales import TicketIntakeSchema
from franchise.services import case_history, order_flow, ticket_photos
from franchise.services import service_tickets as ticket_service
from franchise.services.base import invalid

bp = Blueprint(
    "aftersales_guide", __name__, url_prefix="/m/service-tickets", template_folder="../templates"
)
LOGIN = "auth.mobile_login"


def _store_ticket(ticket_id: int) -> ServiceTicket:
    return ticket_service.store_ticket(ticket_id, required_principal())


@bp.route("")
@page_roles(GUIDE, login_endpoint=LOGIN)
def tickets():
    """My store's tickets: open first (overdue on top), then the rest, newest first."""
    scope = order_flow.store_principal(required_principal())
    open_first = case(
        (ServiceTicket.status.in_(ticket_service.OPEN_STATES + ("ready",)), 0), else_=1
    )
    stmt = scoped(select(ServiceTicket), ServiceTicket, scope).order_by(
        open_first, ServiceTicket.due_at, ServiceTicket.id.desc()
    )
    rows = db.session.scalars(stmt.limit(100)).all()
    return render_template(
        "franchise/aftersales/guide_tickets.html", tickets=rows, t=ticket_service
    )


def _customers() -> list[Customer]:
    """My store's customers (not only mine: a walk-in of the store without a guide, or a
    colleague's customer, brings a piece in too), newest first."""
    scope = order_flow.store_principal(required_principal())
    return list(
        db.session.scalars(
            scoped(select(Customer), Customer, scope).order_by(Customer.id.desc()).limit(200)
        )
    )


def _intake_body() -> dict:
    """The form as the API's intake body; a piece serial becomes the piece's id."""
    body = load_form(TicketIntakeSchema(), request.form)
    serial = (request.form.get("piece_serial") or "").strip()
    if serial:
        piece = db.session.scalars(
            select(Piece).where(Piece.serial == serial, Piece.customer_id == body["customer_id"])
        ).first()
        if piece is None:
            raise invalid("piece_serial", "Not one of the customer's pieces.")
        body["piece_id"] = piece.id
    return body


@bp.route("/new", methods=["GET", "POST"])
@accepts_upload(ticket_photos.PHOTO_BODY_BYTES)
@page_roles(GUIDE, login_endpoint=LOGIN)
def new():
    """Take a piece in: customer, service, condition notes and photos."""
    errors: dict = {}
    if request.method == "POST":
        try:
            body, files = _intake_body(), ticket_photos.uploaded(request.files)
            ticket = ticket_service.intake(body, required_principal())
            if files:
                ticket_photos.add_photos(ticket, files, taken_by=required_principal().user_id)
        except DomainError as exc:
            errors = exc.errors or {"form": [exc.message]}
        else:
            flash(_("Ticket %(no)s opened.", no=ticket.ticket_no), "success")
            return redirect(url_for("aftersales_guide.detail", ticket_id=ticket.id), 303)
    return render_template(
        "franchise/aftersales/guide_intake.html",
        customers=_customers(),
        kinds=[(k, ticket_service.kind_label(k)) for k in SERVICE_KINDS],
        values=request.form,
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/<int:ticket_id>")
@page_roles(GUIDE, login_endpoint=LOGIN)
def detail(ticket_id):
    """One ticket: photos, history, next steps."""
    ticket = _store_ticket(ticket_id)
    return render_template(
        "franchise/aftersales/guide_ticket.html",
        ticket=ticket,
        t=ticket_service,
        allowed=ticket_service.TICKET_FLOW.get(ticket.status, ()),
        h=case_history,
    )


@bp.route("/<int:ticket_id>/move", methods=["POST"])
@page_roles(GUIDE, login_endpoint=LOGIN)
def move(ticket_id):
    """One step along the flow; a quote is typed in yuan."""
    ticket = _store_ticket(ticket_id)
    data: dict = {"note": (request.form.get("note") or "")[:255]}
    try:
        if request.form.get("quote_yuan"):
            try:
                data["quote_fen"] = parse_yuan(request.form["quote_yuan"], 1, 10**10)
            except YuanError as exc:
                raise invalid("quote_fen", exc.message % exc.params) from exc
        ticket_service.move(ticket, request.form.get("to", ""), required_principal(), data)
    except DomainError as exc:
        messages = [m for k, v in exc.errors.items() if k != "allowed" for m in v]
        flash(" ".join(str(m) for m in messages) or exc.message, "error")
    return redirect(url_for("aftersales_guide.detail", ticket_id=ticket_id), 303)


@bp.route("/<int:ticket_id>/photos/<int:photo_id>")
@page_roles(GUIDE, login_endpoint=LOGIN)
def photo(ticket_id, photo_id):
    """An intake photo of one of my store's ticket_service."""
    ticket = _store_ticket(ticket_id)
    row = ticket_photos.photo_of(ServiceTicketPhoto, ticket.id, photo_id)
    return ticket_photos.photo_response(row)
