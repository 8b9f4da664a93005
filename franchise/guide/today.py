"""The franchise tabs' lines on the guide's Today page (``app.web.today``).

- Hand-over: the store's orders waiting for a guide's move (in store, to pick up, to
  complete): the list the hand-over page shows first.
- Appointments: the store's visits booked from an hour ago to the end of today, and the
  next one's time.
- Results and my customers: today's GMV and orders, and customers newly attributed to
  the guide today: the results page's own figures (``results_figures``).

Every figure goes through the tenant scope of the guide principal it is given.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import BindParameter, bindparam, func, select

from app.auth.principal import Principal
from app.auth.scope import scoped
from app.db import fixed_values
from app.web.formatting import shanghai, yuan
from app.web.today import TodayNote, due_time, end_of_today
from franchise.guide.orders import WAITING
from franchise.guide.results import results_figures
from franchise.models import Appointment, Order
from franchise.services.order_flow import store_principal

APPOINTMENTS = "franchise_guide_customers.appointments"


def today_figures(guide: Principal) -> dict:
    """Scalar figures for the franchise tabs (see ``app.web.today`` for the parameters)."""
    now: BindParameter[datetime] = bindparam("now")
    day_end: BindParameter[datetime] = bindparam("day_end")
    store = store_principal(guide)
    booked = scoped(select(Appointment.id, Appointment.slot_start), Appointment, store).where(
        Appointment.franchisee_id == guide.franchisee_id,
        Appointment.status == "booked",
        Appointment.slot_start >= now - timedelta(hours=1),
        Appointment.slot_start < day_end,
    )
    visits = booked.subquery()
    results = results_figures(guide, bindparam("day_start"), day_end)
    return {
        "handover": scoped(select(func.count(Order.id)), Order, store)
        .where(Order.status.in_(fixed_values(Order.status, WAITING)))
        .scalar_subquery(),
        "visits": select(func.count(visits.c.id)).scalar_subquery(),
        "next_visit": select(func.min(visits.c.slot_start)).scalar_subquery(),
        "orders": results["orders"],
        "gmv_fen": results["gmv_fen"],
        "new_customers": results["new_customers"],
    }


def today_notes(principal: Principal, values: dict) -> list[TodayNote]:
    """The notes for the hand-over, appointments, results and customers tabs."""
    handover, visits = int(values["handover"] or 0), int(values["visits"] or 0)
    if visits:
        next_at = shanghai(values["next_visit"], "%H:%M")
        visit_text = ngettext(
            "%(num)d visit today, next at %(time)s",
            "%(num)d visits today, next at %(time)s",
            visits,
            time=next_at,
        )
    else:
        visit_text = _("No visits left today")
    gmv, orders = int(values["gmv_fen"] or 0), int(values["orders"] or 0)
    return [
        TodayNote(
            "guide_orders.orders",
            ngettext("%(num)d order to hand over", "%(num)d orders to hand over", handover)
            if handover
            else _("No orders to hand over"),
            handover,
            end_of_today(),
        ),
        TodayNote(APPOINTMENTS, visit_text, visits, due_time(values["next_visit"])),
        TodayNote(
            "guide_results.results",
            ngettext(
                "%(gmv)s, %(num)d order today",
                "%(gmv)s, %(num)d orders today",
                orders,
                gmv=yuan(gmv),
            ),
        ),
        TodayNote(
            "franchise_guide_customers.customers",
            _("%(n)s new today", n=int(values["new_customers"] or 0)),
        ),
    ]
