"""The guide's care list (``/m/care-due``, issue 19) and its line on Today.

The pieces my customers own that are due for care now or within ``piece_care.SOON_DAYS``
(``franchise.services.piece_care``: the sale or the last service of the product's care
kind, plus its care interval), soonest first, each with its customer (a link to their
page), the product, serial, date and the kind of care. Today's line counts the pieces
due now.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, bindparam, select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import Principal, required_principal
from app.clock import shanghai_day
from app.extensions import UTCDateTime, db
from app.web.today import TodayNote, end_of_today
from franchise.models import Customer
from franchise.services import piece_care

bp = Blueprint(
    "piece_care_guide", __name__, url_prefix="/m/care-due", template_folder="../templates"
)
ENDPOINT = "piece_care_guide.care_due"


def _customers_of(guide_id) -> Select:
    """The ids of a guide's customers (``guide_id`` a value or a bound parameter)."""
    return select(Customer.id).where(Customer.guide_id == guide_id)


def _mine(guide: Principal, until: date) -> list[piece_care.PieceCare]:
    """My customers' pieces due for care by ``until``, soonest first."""
    clocks = piece_care.care_rows(customer_ids=_customers_of(guide.guide_id))
    rows = [c for c in clocks if c.next_on <= until]
    return sorted(rows, key=lambda c: (c.next_on, c.piece_id))


@bp.route("")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def care_due():
    """My customers' pieces due for care within two weeks (overdue first)."""
    today = shanghai_day()
    rows = _mine(required_principal(), today + timedelta(days=piece_care.SOON_DAYS))
    customers = {
        c.id: c
        for c in db.session.scalars(
            select(Customer).where(Customer.id.in_({r.customer_id for r in rows}))
        )
    }
    return render_template(
        "franchise/jewellery/guide_care_due.html", rows=rows, customers=customers, today=today
    )


def today_figures(guide: Principal) -> dict:
    """How many of my customers' pieces are due for care by the end of today: ``_mine``
    up to today, counted in SQL as a figure of the shared Today statement."""
    day_end = bindparam("day_end", type_=UTCDateTime())
    due = piece_care.due_count(_customers_of(guide.guide_id), day_end)
    return {"due": due.scalar_subquery()}


def today_notes(principal: Principal, values: dict) -> list[TodayNote]:
    """The care list's line: how many of my customers' pieces are due for care today."""
    due = int(values.get("due") or 0)
    text = (
        ngettext("%(num)d piece due for care", "%(num)d pieces due for care", due)
        if due
        else _("No piece due for care")
    )
    return [TodayNote(ENDPOINT, text, due, end_of_today() if due else None)]
