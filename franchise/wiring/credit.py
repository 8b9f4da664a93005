"""Registration of the credit area: per-line credit, disputes and guides' commission.

Blueprints (credit and commission JSON APIs, the admin pages for rules, disputes and
commission, the guide's mobile credit page), the template helper the order page's credit
section reads (``order_credit_panel``), navigation, the disputes dashboard panel, the
``ORDER_PAID`` listener that credits each paid order (off the notify's one-statement
path; see ``franchise.services.credit``) and its nightly catch-up, the ``REFUND_COMPLETED``
hook that reverses commission inside the refund's transaction, and the demo rates,
credit and dispute (``franchise.demo.credit``).
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE, HQ_ROLES
from app.extensions import register_area
from app.scheduler import register_job
from app.web.dashboard import add_dashboard
from app.web.i18n import N_

CREDIT = N_("Credit")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (CREDIT, N_("Credit disputes"), "credit_admin.disputes", ADMIN_UI_ROLES, "task", 450),
    (CREDIT, N_("Commission"), "credit_admin.commission", ADMIN_UI_ROLES, "money", 451),
    (CREDIT, N_("Credit rules"), "credit_admin.rules", HQ_ROLES, "ledger", 452),
)
MOBILE_NAV = ((N_("Results"), N_("My credit"), "guide_credit.credit", (GUIDE,), "chart", 33),)


def register(app: Flask) -> None:
    """Register the credit area on the app."""
    from franchise.admin import credit as admin_credit
    from franchise.admin import credit_display
    from franchise.api import commission as api_commission
    from franchise.api import credit as api_credit
    from franchise.demo.credit import seed_credit
    from franchise.guide import credit as guide_credit
    from franchise.jobs import credit as jobs
    from franchise.jobs.paid_followups import ORDER_PAID
    from franchise.services import commission, credit, refunds

    register_area(
        app,
        (api_credit, api_commission, admin_credit, guide_credit),
        navs={"admin": ADMIN_NAV, "mobile": MOBILE_NAV},
        hooks=(
            (ORDER_PAID, credit.on_paid),  # every minute, off the notify's path
            (refunds.REFUND_COMPLETED, commission.on_refund),
        ),
        seeders=(seed_credit,),
    )
    app.add_template_global(credit_display.order_credit_panel, "order_credit_panel")
    add_dashboard(app, admin_credit.DISPUTES)
    register_job(
        app, "franchise.credit.catch_up", jobs.credit_catch_up_job, "cron", hour=3, minute=25
    )
