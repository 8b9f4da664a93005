"""The guide's results for today (``/m/results``), in Asia/Shanghai days.

Orders placed today with the guide's attribution, GMV (``paid_fen`` of their orders
paid today), coupons they redeemed today, and customers newly attributed to them today
(assignment history), plus a bar chart of the last seven days' GMV. Every query goes
through the tenant scope: orders with the guide's own principal, coupons and
assignment history with a franchise-wide one narrowed to the guide's id.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, render_template
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.auth.decorators import page_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE
from app.auth.principal import Principal, required_principal
from app.auth.scope import scoped
from app.clock import shanghai_day, shanghai_day_bounds
from app.extensions import db
from franchise.models import AssignmentHistory, Coupon, Order

bp = Blueprint("guide_results", __name__, url_prefix="/m/results", template_folder="../templates")


def results_figures(principal: Principal, start, end) -> dict:
    """The results' figures between ``start`` and ``end`` as scalar SQL expressions.

    Orders placed, GMV (fen) paid, coupons the guide redeemed and customers newly
    attributed to the guide. ``principal``'s ids and the bounds may be bound parameters
    (the Today page builds these once and runs them for every guide).
    """
    franchise_wide = Principal(FRANCHISE_OWNER, franchisee_id=principal.franchisee_id)
    return {
        "orders": scoped(select(func.count(Order.id)), Order, principal)
        .where(Order.created_at >= start, Order.created_at < end)
        .scalar_subquery(),
        "gmv_fen": scoped(select(func.coalesce(func.sum(Order.paid_fen), 0)), Order, principal)
        .where(Order.paid_at >= start, Order.paid_at < end)
        .scalar_subquery(),
        "coupons_redeemed": scoped(select(func.count(Coupon.id)), Coupon, franchise_wide)
        .where(
            Coupon.redeemed_guide_id == principal.guide_id,
            Coupon.redeemed_at >= start,
            Coupon.redeemed_at < end,
        )
        .scalar_subquery(),
        "new_customers": scoped(
            select(func.count(func.distinct(AssignmentHistory.customer_id))),
            AssignmentHistory,
            franchise_wide,
        )
        .where(
            AssignmentHistory.to_guide_id == principal.guide_id,
            AssignmentHistory.created_at >= start,
            AssignmentHistory.created_at < end,
        )
        .scalar_subquery(),
    }


def guide_results(principal: Principal, day: date) -> dict:
    """Orders, GMV (fen), coupons redeemed and new customers of ``principal`` on ``day``."""
    figures = results_figures(principal, *shanghai_day_bounds(day, day))
    row = db.session.execute(select(*(sq.label(k) for k, sq in figures.items()))).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}


def gmv_by_day(principal: Principal, last_day: date, days: int = 7) -> tuple[list[str], list[int]]:
    """Labels (MM-DD) and GMV in fen for the ``days`` Shanghai days ending ``last_day``."""
    first = last_day - timedelta(days=days - 1)
    start, end = shanghai_day_bounds(first, last_day)
    rows = db.session.execute(
        scoped(select(Order.paid_at, Order.paid_fen), Order, principal).where(
            Order.paid_at >= start, Order.paid_at < end
        )
    ).all()
    totals = {first + timedelta(days=n): 0 for n in range(days)}
    for paid_at, paid_fen in rows:
        day = shanghai_day(paid_at) if isinstance(paid_at, datetime) else None
        if day in totals:
            totals[day] += int(paid_fen or 0)
    return [d.strftime("%m-%d") for d in totals], list(totals.values())


@bp.route("")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def results():
    """Today's figures and the week's GMV chart."""
    principal = required_principal()
    day = shanghai_day()
    labels, values = gmv_by_day(principal, day)
    return render_template(
        "franchise/guide/results.html",
        day=day,
        figures=guide_results(principal, day),
        labels=labels,
        series={_("GMV"): values},
    )
