"""The guide's credit page (``/m/credit``, 375 px and up): this month's commission, the
lines credited to me with their evidence, my disputes with HQ's deadline and ruling, and
a dispute form for a line of my orders (``franchise.services.disputes.file_dispute``).
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.extensions import db
from franchise.admin.credit import SOURCE_LABELS, STATUS_LABELS, describe, dispute_from_form
from franchise.models import CreditLine, Order, OrderLine
from franchise.services import disputes
from franchise.services.commission_statements import guide_statement

bp = Blueprint("guide_credit", __name__, url_prefix="/m/credit", template_folder="../templates")
RECENT = 30


@bp.route("")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def credit():
    """My commission this month, my credited lines, my disputes."""
    principal = required_principal()
    rows = db.session.execute(
        select(CreditLine, OrderLine.name, Order.order_no)
        .join(OrderLine, OrderLine.id == CreditLine.order_line_id)
        .join(Order, Order.id == CreditLine.order_id)
        .where(CreditLine.guide_id == principal.guide_id, CreditLine.is_current.is_(True))
        .order_by(CreditLine.id.desc())
        .limit(RECENT)
    ).all()
    mine = disputes.dispute_stmt({}, principal).limit(RECENT)
    return render_template(
        "franchise/guide/credit.html",
        statement=guide_statement(principal.guide_id or 0, None, principal),
        rows=[
            {
                "credit": cl,
                "product": name,
                "order_no": order_no,
                "percent": f"{cl.share_bps / 100:g} %",
                "sources": [SOURCE_LABELS.get(s, s) for s in cl.sources.split(",")],
                "evidence": [describe(e) for e in cl.evidence],
            }
            for cl, name, order_no in rows
        ],
        disputes=db.session.scalars(mine).all(),
        status_labels=STATUS_LABELS,
    )


@bp.route("/disputes", methods=["POST"])
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def file_dispute():
    """Dispute a line of one of my orders (order number + line)."""
    dispute_from_form(request.form.get("order_id", type=int) or 0)
    return redirect(url_for("guide_credit.credit"), 303)
