"""Registration of the after-sales area (issue 19): fulfilment, appointment outcomes,
service tickets (with the ready-for-pickup subscribe message), trade-ins and
consignments.

The JSON API, the admin pages (consignments with their own), the guide's pages (the
care list with its line on Today), navigation, the outbox handler of the ready notice,
and ``photo_credit`` (who took a piece's photo and when) for the pages showing photos.
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE
from app.extensions import register_area
from app.outbox import register_handler
from app.web.i18n import N_
from app.web.today import add_today

AFTERSALES = N_("After-sales")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (AFTERSALES, N_("Service tickets"), "aftersales_admin.tickets", ADMIN_UI_ROLES, "task", 320),
    (AFTERSALES, N_("Trade-ins"), "aftersales_admin.trade_ins", ADMIN_UI_ROLES, "money", 321),
    (AFTERSALES, N_("Consignments"), "consignment_admin.consignments", ADMIN_UI_ROLES, "box", 322),
)
MOBILE_NAV = (
    (N_("Service"), N_("Service"), "aftersales_guide.tickets", (GUIDE,), "task", 33),
    (N_("Service"), N_("Care due"), "piece_care_guide.care_due", (GUIDE,), "task", 34),
    (N_("Service"), N_("Trade-ins"), "trade_in_guide.trade_ins", (GUIDE,), "money", 35),
)


def register(app: Flask) -> None:
    """Register the after-sales area on the app."""
    from franchise.admin import aftersales as admin_aftersales
    from franchise.admin import aftersales_detail  # noqa: F401 - its routes join admin_aftersales.bp
    from franchise.admin import consignments as admin_consignments
    from franchise.api import aftersales as api_aftersales
    from franchise.api import consignment as api_consignment
    from franchise.api import piece_photos as api_piece_photos
    from franchise.guide import aftersales as guide_aftersales
    from franchise.guide import piece_care as guide_piece_care
    from franchise.guide import trade_ins as guide_trade_ins
    from franchise.jobs import aftersales as jobs
    from franchise.services.service_tickets import READY_NOTICE_KIND
    from franchise.services.ticket_photos import photo_credit

    register_area(
        app,
        (
            api_aftersales,
            api_consignment,
            api_piece_photos,
            admin_aftersales,
            admin_consignments,
            guide_aftersales,
            guide_piece_care,
            guide_trade_ins,
        ),
        navs={"admin": ADMIN_NAV, "mobile": MOBILE_NAV},
    )
    add_today(app, guide_piece_care.today_figures, guide_piece_care.today_notes)
    register_handler(app, READY_NOTICE_KIND, jobs.send_ready_notice)
    app.add_template_global(photo_credit, "photo_credit")
