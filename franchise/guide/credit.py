"""The guide's credit page (``/m/credit``, 375 px and up): this month's commission, the
lines credited to me with their evidence, an order of my store looked up by its number
with its shares, my disputes with HQ's deadline and ruling, and a dispute form on each
share (``franchise.services.disputes.file_dispute``).
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.errors import DomainError
from app.extensions import db
from franchise.admin.credit import dispute_from_form
from franchise.admin.credit_display import SOURCE_LABELS, STATUS_LABELS, describe
from franchise.models import CreditLine, Order, OrderLine
from franchise.services import credit, disputes
from franchise.services.commission_statements import guide_statement

bp = Blueprint("guide_credit", __name__, url_prefix="/m/credit", template_folder="../templates")
RECENT = 30


def _row(cl: CreditLine, product: str, order_no: str) -> dict:
    """One share as the page shows it: whose, how much, on what evidence."""
    return {
        "credit": cl,
        "product": product,
        "order_no": order_no,
        "guide": cl.guide.name if cl.guide else _("(no guide: the store)"),
        "percent": f"{cl.share_bps / 100:g} %",
        "sources": [SOURCE_LABELS.get(s, s) for s in cl.sources.split(",")],
        "evidence": [describe(e) for e in cl.evidence],
    }


def _order_lookup(order_no: str, principal) -> tuple[list[dict], str | None]:
    """The shares of the order ``order_no`` if the guide may see it (their own, their
    store's, or one they hold a share of), else the reason it cannot be shown."""
    order_id = db.session.scalar(select(Order.id).where(Order.order_no == order_no))
    try:
        order = credit.visible_order(order_id or 0, principal)
    except DomainError as exc:
        return [], exc.message
    credit.ensure_credited(order)
    names = {line.id: line.name for line in order.lines}
    rows = credit.current_lines(order.id)
    return [_row(cl, names.get(cl.order_line_id, ""), order.order_no) for cl in rows], None


@bp.route("", endpoint="credit")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def credit_page():
    """My commission this month, my credited lines, my disputes; ``?order_no=`` shows
    one order's shares (of my store) to dispute."""
    principal = required_principal()
    mine = db.session.execute(
        select(CreditLine, OrderLine.name, Order.order_no)
        .join(OrderLine, OrderLine.id == CreditLine.order_line_id)
        .join(Order, Order.id == CreditLine.order_id)
        .where(CreditLine.guide_id == principal.guide_id, CreditLine.is_current.is_(True))
        .order_by(CreditLine.id.desc())
        .limit(RECENT)
    ).all()
    order_no = (request.args.get("order_no") or "").strip()[:32]
    looked_up, problem = _order_lookup(order_no, principal) if order_no else ([], None)
    filed = disputes.dispute_stmt({}, principal).limit(RECENT)
    return render_template(
        "franchise/guide/credit.html",
        statement=guide_statement(principal.guide_id or 0, None, principal),
        rows=[_row(cl, name, number) for cl, name, number in mine],
        order_no=order_no,
        looked_up=looked_up,
        problem=problem,
        disputes=db.session.scalars(filed).all(),
        status_labels=STATUS_LABELS,
    )


@bp.route("/disputes", methods=["POST"])
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def file_dispute():
    """Dispute a line of one of my orders (order number + line)."""
    dispute_from_form(request.form.get("order_id", type=int) or 0)
    return redirect(url_for("guide_credit.credit"), 303)
