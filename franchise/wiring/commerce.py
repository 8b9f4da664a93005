"""Registration of the commerce area: catalogue, orders and coupons.

Blueprints (staff and mini-program JSON APIs, admin pages under ``/admin``, guide pages
under ``/m``), the "Sales" admin navigation group and dashboard panel, the guide's
mobile tabs and today figures, the hourly auto-complete job and the demo products,
coupons and orders (``franchise.demo.commerce``).
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE, HQ_ROLES
from app.extensions import register_area
from app.scheduler import register_job
from app.web.dashboard import add_dashboard
from app.web.i18n import N_
from app.web.today import add_today

SALES = N_("Sales")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (SALES, N_("Orders"), "commerce_orders.orders", ADMIN_UI_ROLES, "ledger", 300),
    (SALES, N_("Coupons"), "commerce_coupons.coupons", ADMIN_UI_ROLES, "money", 301),
    (SALES, N_("Products"), "commerce_products.products", HQ_ROLES, "box", 302),
)
MOBILE_NAV = (
    (N_("Orders"), N_("Hand-over"), "guide_orders.orders", (GUIDE,), "box", 30),
    # redeeming happens at the counter with a customer waiting: a tab of its own
    (N_("Coupons"), N_("Redeem"), "guide_coupons.redeem", (GUIDE,), "task", 5),
    (N_("Results"), N_("Results"), "guide_results.results", (GUIDE,), "chart", 32),
)


def register(app: Flask) -> None:
    """Register the commerce area on the app."""
    from franchise.admin import coupons as admin_coupons
    from franchise.admin import orders as admin_orders
    from franchise.admin import products as admin_products
    from franchise.admin.event_notes import event_note
    from franchise.api import coupons as api_coupons
    from franchise.api import mp_orders as api_mp
    from franchise.api import orders as api_orders
    from franchise.demo.commerce import seed_commerce
    from franchise.guide import coupons as guide_coupons
    from franchise.guide import orders as guide_orders
    from franchise.guide import results as guide_results
    from franchise.guide import today as guide_today
    from franchise.jobs import commerce as jobs

    register_area(
        app,
        (
            api_orders,
            api_mp,
            api_coupons,
            admin_orders,
            admin_coupons,
            admin_products,
            guide_orders,
            guide_coupons,
            guide_results,
        ),
        navs={"admin": ADMIN_NAV, "mobile": MOBILE_NAV},
        seeders=(seed_commerce,),
    )
    app.add_template_global(event_note, "event_note")
    add_dashboard(app, admin_orders.SALES)
    add_today(app, guide_today.today_figures, guide_today.today_notes)
    register_job(app, "franchise.orders.auto_complete", jobs.auto_complete_job, "cron", minute=17)
