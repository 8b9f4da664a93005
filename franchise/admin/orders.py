"""Order admin pages (``/admin/orders``): the filtered list with totals and CSV, one order
with its lines, status timeline, the moves the viewer may make and the refunds.

HQ sees every order; a franchise owner their franchise's (another's answers 404). The
moves post a CSRF-protected form to ``/admin/orders/<id>/transition``, which calls
``franchise.services.orders.transition`` (the service commits; views never do). The
refund action belongs to the payments area: the detail page includes its
``franchise/payments/_refund_form.html`` when it exists.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import validate
from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.orm import selectinload

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404
from app.errors import DomainError
from app.extensions import db
from app.request_body import accepts_upload
from app.schemas import Text
from app.web.dashboard import DashboardSource
from app.web.formatting import yuan
from app.web.i18n import N_, gettext_all
from app.web.labels import customer_name
from app.web.listing import Column, csv_response, export_url, filter_args, paginate
from app.web.page_action import flashed
from franchise import queries
from franchise.admin.product_pricing import KIND_LABELS
from franchise.admin.support import choices, date_filter, select_filter, text_filter
from franchise.api.orders import OrderFilterSchema
from franchise.models import (
    ORDER_STATUSES,
    Appointment,
    Franchisee,
    Guide,
    InspectionPhoto,
    Order,
    OrderLinePricing,
    ProductVariant,
    Refund,
    Store,
)
from franchise.services import (  # issue 19
    fulfilment,
    inspections,
    order_flow,
    replacements,
    ticket_photos,
)
from franchise.services import orders as order_service
from franchise.services.base import invalid
from franchise.services.order_flow import status_label

bp = Blueprint(
    "commerce_orders", __name__, url_prefix="/admin/orders", template_folder="../templates"
)

ACTION_LABELS = {
    "shipped": _l("Mark shipped"),
    "received": _l("Mark received by store"),
    "delivered": _l("Mark delivered"),
    "picked_up": _l("Mark picked up"),
    "completed": _l("Complete"),
    "cancelled": _l("Cancel order"),
}
STATUS_BADGES = {
    "created": "badge-info",
    "paid": "badge-gold",
    "completed": "badge-ok",
    "cancelled": "badge-err",
    "closed": "badge-err",
    "refunded": "badge-warn",
}


class OrderPageFilterSchema(OrderFilterSchema):
    """The API's order filters and the page's order-number search."""

    q = Text(validate=validate.Length(max=32))


def order_columns(with_link: bool = True):
    link = (lambda o: url_for("commerce_orders.order", object_id=o.id)) if with_link else None
    return [
        Column("order_no", _l("Order number"), link=link),
        Column("created_at", _l("Created at"), time=True),
        Column("status", _l("Status"), value=lambda o: status_label(o.status)),
        Column("franchisee", _l("Franchisee"), value=lambda o: o.franchisee.name),
        Column("store", _l("Store"), value=lambda o: o.store.name if o.store else ""),
        Column("guide", _l("Guide"), value=lambda o: o.guide.name if o.guide else ""),
        Column("customer", _l("Customer"), value=lambda o: customer_name(o.customer)),
        Column("total_fen", _l("Total"), money=True),
        Column("discount_fen", _l("Discount"), money=True),
        Column("payable_fen", _l("Payable"), money=True),
        Column("paid_fen", _l("Paid"), money=True),
        Column("refunded_fen", _l("Refunded"), money=True),
    ]


def order_totals(stmt) -> dict:
    """Count and money sums of the filtered orders (for the totals row)."""
    sub = stmt.order_by(None).subquery()
    row = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(sub.c.total_fen), 0),
            func.coalesce(func.sum(sub.c.discount_fen), 0),
            func.coalesce(func.sum(sub.c.payable_fen), 0),
            func.coalesce(func.sum(sub.c.paid_fen), 0),
            func.coalesce(func.sum(sub.c.refunded_fen), 0),
        ).select_from(sub)
    ).one()
    keys = ("count", "total_fen", "discount_fen", "payable_fen", "paid_fen", "refunded_fen")
    return dict(zip(keys, (int(v or 0) for v in row), strict=True))


def filter_fields():
    status_options = [("", _l("All"))] + [(s, status_label(s)) for s in ORDER_STATUSES]
    return [
        text_filter("q", _l("Order number")),
        select_filter("status", _l("Status"), status_options),
        select_filter("franchisee_id", _l("Franchisee"), choices(Franchisee, blank=_l("All"))),
        select_filter("store_id", _l("Store"), choices(Store, blank=_l("All"))),
        select_filter("guide_id", _l("Guide"), choices(Guide, blank=_l("All"))),
        date_filter("date_from", _l("From")),
        date_filter("date_to", _l("To")),
    ]


@bp.route("")
@page_roles(*ADMIN_UI_ROLES)
def orders():
    """Orders with filters, pagination, a totals row and CSV export (``?format=csv``)."""
    args = filter_args(OrderPageFilterSchema)
    stmt = queries.order_stmt(args)
    listed = stmt.options(selectinload(Order.customer))  # each row names its customer
    if request.args.get("format") == "csv":
        return csv_response("orders.csv", order_columns(False), listed)
    return render_template(
        "franchise/commerce/orders.html",
        fields=filter_fields(),
        columns=order_columns(),
        page=paginate(listed),
        totals=order_totals(stmt),
        export_url=export_url("commerce_orders.orders"),
    )


@bp.route("/<int:object_id>")
@page_roles(*ADMIN_UI_ROLES)
def order(object_id):
    """One order: amounts, lines, the status timeline, the viewer's moves, refunds."""
    o = get_scoped_or_404(Order, object_id)
    refunds = db.session.scalars(
        select(Refund).where(Refund.order_id == o.id).order_by(Refund.id)
    ).all()
    actions = order_flow.visible_actions(o, required_principal())
    return render_template(
        "franchise/commerce/order_detail.html",
        order=o,
        refunds=refunds,
        actions=[(a, ACTION_LABELS.get(a, a)) for a in actions],
        status_label=status_label,
        badge=STATUS_BADGES.get(o.status, ""),
        fulfilment=fulfilment.view(o, for_customer=False),  # issue 19
        replacement=replacements.replacement_of(o),  # issue 19: an exchange after a defect
        replaces=replacements.original_of(o),
        inspections=inspections.of_order(o),  # issue 19: accepted / defect, and its remedy
        variants=_line_variants([line.id for line in o.lines]),
    )


@bp.route("/<int:object_id>/inspection-photos/<int:photo_id>")
@page_roles(*ADMIN_UI_ROLES)
def inspection_photo(object_id: int, photo_id: int):
    """A photo the guide took at an inspection of an order in my scope."""
    o = get_scoped_or_404(Order, object_id)
    photo = db.session.get(InspectionPhoto, photo_id)
    visit = db.session.get(Appointment, photo.appointment_id) if photo else None
    if photo is None or visit is None or visit.order_id != o.id:
        abort(404)
    return ticket_photos.photo_response(photo)


@bp.route("/<int:object_id>/inspections/<int:appointment_id>/photos", methods=["POST"])
@accepts_upload(ticket_photos.PHOTO_BODY_BYTES)
@page_roles(*ADMIN_UI_ROLES)
def add_inspection_photos(object_id: int, appointment_id: int):
    """Add photos to a recorded inspection of an order in my scope (6 at most in all;
    JPG / PNG of at most 5 MB: else the field's message and nothing kept)."""
    o = get_scoped_or_404(Order, object_id)
    shown = next(
        (v for v in inspections.of_order(o) if v.outcome.appointment_id == appointment_id), None
    )
    if shown is None:
        abort(404)
    try:
        files = ticket_photos.uploaded(request.files)
        if not files:
            raise invalid("photos", "Choose at least one photo.")
        ticket_photos.add_photos(
            shown.outcome, files, InspectionPhoto, taken_by=required_principal().user_id
        )
    except DomainError as exc:
        flash((exc.errors or {}).get("photos", [exc.message])[0], "error")
    else:
        flash(_("Photos added."), "success")
    return redirect(url_for(".order", object_id=o.id), 303)


def _line_variants(line_ids: list[int]) -> dict[int, str]:
    """Each line's variant in words (``戒圈 14``): the size HQ ships or the store hands over."""
    rows = db.session.execute(
        select(OrderLinePricing.line_id, ProductVariant.kind, OrderLinePricing.variant_label)
        .join(ProductVariant, ProductVariant.id == OrderLinePricing.variant_id)
        .where(OrderLinePricing.line_id.in_(line_ids))
    )
    return {line_id: f"{KIND_LABELS.get(kind, kind)} {label}" for line_id, kind, label in rows}


@bp.route("/<int:object_id>/transition", methods=["POST"])
@page_roles(*ADMIN_UI_ROLES)
def transition(object_id):
    """Apply one move from the detail page's buttons (CSRF checked for every form post)."""
    o = get_scoped_or_404(Order, object_id)
    to = request.form.get("to", "")
    note = (request.form.get("note") or "").strip()[:255]
    if to not in order_flow.STAFF_TARGETS:
        flash(_("Unknown action."), "error")
        return redirect(url_for("commerce_orders.order", object_id=o.id), 303)
    carrier = (request.form.get("carrier") or "").strip()
    waybill = (request.form.get("waybill_no") or "").strip()
    with flashed(_("Order is now: %(status)s.", status=status_label(to))):
        # issue 19: shipping records carrier and waybill (required for home delivery)
        if to == "shipped" and (carrier or waybill or o.fulfilment == "delivery"):
            fulfilment.ship(o, carrier, waybill, required_principal())
        else:
            order_service.transition(o, to, required_principal(), note)
    return redirect(url_for("commerce_orders.order", object_id=object_id), 303)


def sales_figures(principal):
    """Today's orders, paid amount and the orders to ship / hand over, one scalar each
    (today's bounds are the parameters ``day_start`` and ``day_end``)."""
    from app.auth.scope import scoped

    start: BindParameter[datetime] = bindparam("day_start")
    end: BindParameter[datetime] = bindparam("day_end")

    def figure(column, *where):
        """A scoped figure over orders as a scalar subquery (each keeps its own index)."""
        return scoped(select(column).where(*where), Order, principal).scalar_subquery()

    count = func.count(Order.id)
    paid_sum = func.coalesce(func.sum(Order.paid_fen), 0)
    return select(
        figure(count, Order.created_at >= start, Order.created_at < end),
        figure(paid_sum, Order.paid_at >= start, Order.paid_at < end),
        figure(count, Order.status == "paid"),
        figure(count, Order.status == "received"),
    )


def sales_panels(principal, values) -> list[dict]:
    """Admin home panel: today's orders, paid amount, orders to ship / hand over (scoped)."""
    today, paid, to_ship, to_hand_over = values
    words = gettext_all(
        N_("Orders today"), N_("Paid today"), N_("To ship"), N_("To hand over"), N_("Sales")
    )
    figures = (int(today), yuan(int(paid)), int(to_ship), int(to_hand_over))
    return [{"title": words[4], "stats": list(zip(words[:4], figures, strict=True))}]


SALES = DashboardSource(sales_figures, sales_panels)
