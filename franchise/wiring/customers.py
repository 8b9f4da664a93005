"""Registration of the customers area: the mini-program and customers APIs, the admin
"Customers" pages and the guide's customer tabs, the nightly RFM job, the store-closed /
guide-left hand-over (继承) hooks, the outbox retry of a first login's failed welcome
(``franchise.welcome``) and the demo customers."""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE, HQ_ROLES
from app.extensions import register_area
from app.outbox import register_handler
from app.scheduler import register_job
from app.web.i18n import N_

CUSTOMERS = N_("Customers")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (CUSTOMERS, N_("Customers"), "franchise_customers.customers", ADMIN_UI_ROLES, "users", 200),
    (
        CUSTOMERS,
        N_("Assignment history"),
        "franchise_customers.assignments",
        ADMIN_UI_ROLES,
        "share",
        201,
    ),
    (
        CUSTOMERS,
        N_("Assignment settings"),
        "franchise_customers.assignment_settings",
        HQ_ROLES,
        "settings",
        202,
    ),
)
MOBILE_NAV = (
    (CUSTOMERS, N_("My customers"), "franchise_guide_customers.customers", (GUIDE,), "users", 20),
    (
        CUSTOMERS,
        N_("Appointments"),
        "franchise_guide_customers.appointments",
        (GUIDE,),
        "calendar",
        21,
    ),
)


def register(app: Flask) -> None:
    """Register the customers area on the app."""
    from franchise import services
    from franchise.admin import customers as admin_customers
    from franchise.api import customers as api_customers
    from franchise.api import mp as api_mp
    from franchise.demo.customers import seed_customers
    from franchise.guide import customers as guide_customers
    from franchise.jobs import customers as jobs
    from franchise.jobs.value_tiers import run_value_tiers
    from franchise.services import welcome_retry

    register_area(
        app,
        (api_mp, api_customers, admin_customers, guide_customers),
        navs={"admin": ADMIN_NAV, "mobile": MOBILE_NAV},
        hooks=(
            (services.STORE_CLOSED, jobs.on_store_closed),
            (services.GUIDE_LEFT, jobs.on_guide_left),
        ),
        seeders=(seed_customers,),
    )
    register_handler(app, welcome_retry.WELCOME_KIND, welcome_retry.run_welcome)
    register_job(
        app,
        "franchise.value_tiers",
        run_value_tiers,
        "cron",
        hour=2,
        minute=30,
        timezone="Asia/Shanghai",
    )
