"""Credit admin pages (``/admin/credit``): the owner's dispute form on the order page,
the dispute queue and one dispute with HQ's ruling form, the credit rules and commission
rates (HQ), the monthly commission per guide for payroll and one guide's statement (CSV),
and the admin home's disputes panel. How credit reads (labels, evidence sentences, the
order page's credit section) is ``franchise.admin.credit_display``.

HQ sees everything; an owner their franchise's (another's answers 404). Views call
services (which commit) and never commit.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, FRANCHISE_OWNER, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from app.web.dashboard import DashboardSource
from app.web.form_input import load_form
from app.web.formatting import shanghai
from app.web.i18n import N_, gettext_all
from app.web.listing import Column, csv_response, export_url, paginate
from app.web.page_action import flashed
from app.web.shell import kept_url
from franchise.admin.credit_display import (
    ACTION_LABELS,
    KIND_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    display_name,
    entry_note,
    order_credit_panel,
)
from franchise.admin.support import choices, render_list, select_filter
from franchise.api.commission import CommissionRateSchema, percent_to_bps
from franchise.api.credit import DisputeCreateSchema, DisputeFilterSchema, RulingSchema
from franchise.models import (
    CREDIT_SOURCES,
    DISPUTE_OPEN,
    CreditDispute,
    Franchisee,
    Guide,
    Order,
    Store,
)
from franchise.services import commission, credit_rules, disputes
from franchise.services.commission_statements import check_month, guide_statement, payroll_stmt

bp = Blueprint("credit_admin", __name__, url_prefix="/admin/credit", template_folder="../templates")


def dispute_from_form(order_id: int) -> CreditDispute | None:
    """File the dispute a page form posted (the order page's, the guide's page's) and
    flash the outcome; the dispute, or None when it was refused."""
    try:
        body = load_form(DisputeCreateSchema(), request.form)
        dispute = disputes.file_dispute(
            order_id, body["order_line_id"], body["reason"], required_principal()
        )
    except DomainError as exc:
        flash(exc.message, "error")
        return None
    flash(_("Dispute filed; HQ rules by %(at)s.", at=shanghai(dispute.decide_by)), "success")
    return dispute


@bp.route("/orders/<int:order_id>/disputes", methods=["POST"])
@page_roles(FRANCHISE_OWNER)
def file_dispute(order_id):
    """The owner's dispute form on the order page."""
    dispute = dispute_from_form(order_id)
    if dispute is None:
        return redirect(url_for("commerce_orders.order", object_id=order_id), 303)
    return redirect(url_for("credit_admin.dispute", dispute_id=dispute.id), 303)


# --- the dispute queue and one dispute -----------------------------------------------


def dispute_columns():
    return [
        Column(
            "id",
            _l("Dispute"),
            numeric=True,
            link=lambda d: url_for("credit_admin.dispute", dispute_id=d.id),
        ),
        Column("order", _l("Order number"), value=lambda d: d.order.order_no),
        Column("line", _l("Product"), value=lambda d: d.order_line.name),
        Column(
            "franchisee",
            _l("Franchisee"),
            value=lambda d: display_name(Franchisee, d.order_franchisee_id),
        ),
        Column(
            "filed_by",
            _l("Filed by"),
            value=lambda d: d.filed_guide.name if d.filed_guide else _("Franchise owner"),
        ),
        Column("status", _l("Status"), value=lambda d: STATUS_LABELS.get(d.status, d.status)),
        Column("created_at", _l("Filed at"), time=True),
        Column("decide_by", _l("Decide by"), time=True),
    ]


@bp.route("/disputes", endpoint="disputes")
@page_roles(*ADMIN_UI_ROLES)
def disputes_page():
    """The dispute queue: filters, pages, CSV."""
    options = [("", _l("All"))] + list(STATUS_LABELS.items())
    fields_ = [
        select_filter("status", _l("Status"), options),
        select_filter("franchisee_id", _l("Franchisee"), choices(Franchisee, blank=_l("All"))),
        select_filter("overdue", _l("Past the deadline"), [("", _l("All")), ("true", _l("Yes"))]),
    ]
    return render_list(
        _("Credit disputes"),
        DisputeFilterSchema,
        disputes.dispute_stmt,
        dispute_columns(),
        fields_,
        "credit-disputes.csv",
    )


@bp.route("/disputes/<int:dispute_id>")
@page_roles(*ADMIN_UI_ROLES)
def dispute(dispute_id):
    """One dispute: the line, its credit, the reason, the deadline, history, ruling form."""
    principal = required_principal()
    d = disputes.dispute_or_404(dispute_id, principal)
    order = db.session.get(Order, d.order_id)
    guides = scoped(select(Guide), Guide).where(Guide.franchisee_id == d.order_franchisee_id)
    return render_template(
        "franchise/credit/dispute.html",
        d=d,
        order=order,
        panel=order_credit_panel(order) if order else None,
        status_labels=STATUS_LABELS,
        action_labels=ACTION_LABELS,
        guides=db.session.scalars(guides.order_by(Guide.name)).all(),
        can_rule=principal.is_hq and d.status == DISPUTE_OPEN,
        overdue=d.status == DISPUTE_OPEN and d.decide_by < utcnow(),
    )


@bp.route("/disputes/<int:dispute_id>/ruling", methods=["POST"])
@page_roles(*HQ_ROLES)
def ruling(dispute_id):
    """HQ's ruling form."""
    with flashed(_("Ruling recorded.")):
        body = load_form(RulingSchema(), request.form)
        disputes.rule(
            dispute_id, body["decision"], body["ruling"], body["guide_id"], required_principal()
        )
    return redirect(url_for("credit_admin.dispute", dispute_id=dispute_id), 303)


# --- rules and rates (HQ) ------------------------------------------------------------


@bp.route("/rules", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def rules():
    """The sources' precedence and shares, and the commission rates."""
    if request.method == "POST":
        rows = []
        for source in CREDIT_SOURCES:
            try:
                rows.append(
                    {
                        "source": source,
                        "precedence": int(request.form.get(f"{source}.precedence") or 0),
                        "share_bps": int(request.form.get(f"{source}.share_bps") or 0),
                        "is_active": request.form.get(f"{source}.is_active") == "on",
                    }
                )
            except ValueError:
                flash(_("Precedence and share are whole numbers."), "error")
                return redirect(url_for("credit_admin.rules"), 303)
        try:
            credit_rules.save_rules(rows)
        except DomainError as exc:
            flash("; ".join(str(m) for m in exc.errors.get("rules", [exc.message])), "error")
        else:
            flash(_("Credit rules saved."), "success")
        return redirect(url_for("credit_admin.rules"), 303)
    return render_template(
        "franchise/credit/rules.html",
        rules=credit_rules.current_rules(),
        labels=SOURCE_LABELS,
        rates=commission.rates(),
    )


@bp.route("/rates", methods=["POST"])
@page_roles(*HQ_ROLES)
def save_rate():
    """Add or change a commission rate (percent)."""
    try:
        body = load_form(CommissionRateSchema(), request.form)
        commission.save_rate(
            body["category"], body["campaign_id"], percent_to_bps(body["rate_percent"])
        )
    except DomainError as exc:
        flash("; ".join(f"{k}: {v[0]}" for k, v in exc.errors.items()) or exc.message, "error")
    else:
        flash(_("Commission rate saved."), "success")
    return redirect(url_for("credit_admin.rules"), 303)


@bp.route("/rates/<int:rate_id>/delete", methods=["POST"])
@page_roles(*HQ_ROLES)
def delete_rate(rate_id):
    """Remove a commission rate."""
    with flashed(_("Commission rate removed.")):
        commission.delete_rate(rate_id)
    return redirect(url_for("credit_admin.rules"), 303)


# --- commission statements -----------------------------------------------------------


def payroll_columns(month: str):
    def link(row):
        return url_for("credit_admin.guide_commission", guide_id=row.guide_id, month=month)

    return [
        Column("guide_name", _l("Guide"), link=link),
        Column("store", _l("Store"), value=lambda r: display_name(Store, r.store_id)),
        Column(
            "franchisee",
            _l("Franchisee"),
            value=lambda r: display_name(Franchisee, r.franchisee_id),
        ),
        Column("accrued_fen", _l("Accrued"), money=True),
        Column("reversed_fen", _l("Reversed"), money=True),
        Column("moved_fen", _l("Moved by rulings"), money=True),
        Column("live_fen", _l("Live rewards and penalties"), money=True),
        Column("total_fen", _l("Commission"), money=True),
    ]


@bp.route("/commission", endpoint="commission")
@page_roles(*ADMIN_UI_ROLES)
def commission_page():
    """A month's commission per guide (filters: month, store), CSV for payroll."""
    try:
        month = check_month(request.args.get("month") or None)
    except DomainError as exc:
        flash(exc.errors.get("month", [exc.message])[0], "error")
        month = check_month(None)
    store_id = request.args.get("store_id", type=int)
    stmt = payroll_stmt(month, store_id=store_id)
    if request.args.get("format") == "csv":
        return csv_response(
            f"commission-{month}.csv", payroll_columns(month), db.session.execute(stmt).all()
        )
    return render_template(
        "franchise/credit/commission.html",
        month=month,
        stores=choices(Store, blank=_l("All")),
        store_id=store_id,
        columns=payroll_columns(month),
        page=paginate(db.session.execute(stmt).all()),
        export_url=export_url("credit_admin.commission", month=month, store_id=store_id or ""),
    )


def entry_columns():
    def order_link(e):
        return url_for("commerce_orders.order", object_id=e.order_id) if e.order_id else None

    return [
        Column("created_at", _l("Time"), time=True),
        Column("kind", _l("Kind"), value=lambda e: KIND_LABELS.get(e.kind, e.kind)),
        Column("order_id", _l("Order"), value=lambda e: _order_no(e.order_id), link=order_link),
        Column("basis_fen", _l("Credited amount"), money=True),
        Column("rate", _l("Rate"), value=lambda e: f"{e.rate_bps / 100:g} %", numeric=True),
        Column("amount_fen", _l("Amount"), money=True),
        Column("note", _l("Note"), value=lambda e: entry_note(e.note)),
    ]


def _order_no(order_id: int | None) -> str:
    order = db.session.get(Order, order_id) if order_id else None
    return order.order_no if order is not None else "—"


@bp.route("/commission/<int:guide_id>")
@page_roles(*ADMIN_UI_ROLES)
def guide_commission(guide_id):
    """One guide's month, entry by entry (CSV with ``?format=csv``)."""
    statement = guide_statement(guide_id, request.args.get("month") or None, required_principal())
    if request.args.get("format") == "csv":
        name = f"commission-{statement['guide_id']}-{statement['month']}.csv"
        return csv_response(name, entry_columns(), statement["entries"])
    return render_template(
        "franchise/credit/guide_commission.html",
        s=statement,
        columns=entry_columns(),
        export_url=export_url(
            "credit_admin.guide_commission", guide_id=guide_id, month=statement["month"]
        ),
    )


def dispute_panels(principal, values) -> list[dict]:
    """Admin home panel: disputes waiting for a ruling and those past their deadline."""
    waiting, late = (int(count or 0) for count in values)
    awaiting, past, title = gettext_all(
        N_("Awaiting ruling"), N_("Past the deadline"), N_("Credit disputes")
    )
    stats = [
        (awaiting, waiting, kept_url("credit_admin.disputes", status=DISPUTE_OPEN)),
        (past, late, kept_url("credit_admin.disputes", overdue="true")),
    ]
    return [{"title": title, "stats": stats}]


DISPUTES = DashboardSource(disputes.waiting_figures, dispute_panels)
