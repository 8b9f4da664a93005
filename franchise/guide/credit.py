"""The guide's credit page (``/m/credit``, 375 px and up): this month's commission, the
lines credited to me with their evidence, my disputes with HQ's deadline and ruling, and
a dispute form for a line of my orders (``franchise.services.disputes.file_dispute``).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.errors import DomainError
from app.extensions import db
from app.web.form_input import load_form
from app.web.formatting import shanghai
from franchise.admin.credit import SOURCE_LABELS, STATUS_LABELS, describe
from franchise.api.credit import DisputeCreateSchema
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
    order_id = request.form.get("order_id", type=int) or 0
    try:
        body = load_form(DisputeCreateSchema(), request.form)
        dispute = disputes.file_dispute(
            order_id, body["order_line_id"], body["reason"], required_principal()
        )
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Dispute filed; HQ rules by %(at)s.", at=shanghai(dispute.decide_by)), "success")
    return redirect(url_for("guide_credit.credit"), 303)
