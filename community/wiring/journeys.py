"""Registration of customer journeys: the journeys API and pages (list, editor, report)
with their navigation, the guide's customer-dates form, the enrolment / dispatch /
read-back jobs, the send outbox handler, the pay-notify handler that enrols a first
purchase at once (after franchise's handler posted the payment), franchise's points-expiry
reminder (its listener, the once-more of a refused message, the mini-program message
handler, the figures HQ's member settings page shows), and the demo journeys
(``community.demo.journeys``).
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES
from app.extensions import register_area
from app.outbox import register_handler
from app.scheduler import register_job
from app.web.i18n import N_
from franchise.jobs.paid_followups import ORDER_PAID
from franchise.services.points_expiry import (
    POINTS_EXPIRING,
    POINTS_REMINDED,
    POINTS_REMINDER_FIGURES,
)

COMMUNITY = N_("Community")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (
        COMMUNITY,
        N_("Customer journeys"),
        "community_journeys.journey_list",
        ADMIN_UI_ROLES,
        "user",
        416,
    ),
)


def register(app: Flask) -> None:
    """Register the journeys area on the app."""
    from community.admin import journeys as admin_journeys
    from community.api import journeys as api_journeys
    from community.demo.journeys import seed_journeys
    from community.guide import journeys as guide_journeys
    from community.jobs import journeys as jobs
    from community.services import journey_sends, journey_triggers, points_reminders

    register_area(
        app,
        (api_journeys, admin_journeys, guide_journeys),
        navs={"admin": ADMIN_NAV},
        hooks=(
            (ORDER_PAID, journey_triggers.on_paid),  # off the notify's path
            (POINTS_EXPIRING, points_reminders.on_points_expiring),
            (POINTS_REMINDED, points_reminders.retry_refused),  # refused: once more
            (POINTS_REMINDER_FIGURES, points_reminders.figures),
        ),
        seeders=(seed_journeys,),
    )
    register_job(app, "community.journeys_enrol", jobs.enrol_job, "cron", hour=6, minute=30)
    register_job(app, "community.journeys_dispatch", jobs.dispatch_job, "cron", hour=9, minute=30)
    register_job(app, "community.journeys_readback", jobs.readback_job, "interval", minutes=15)
    register_job(app, "community.journeys_remind", jobs.remind_job, "interval", hours=2)
    register_handler(app, journey_sends.SEND_KIND, journey_sends.send_one)
    register_handler(app, journey_sends.NOTICE_KIND, points_reminders.send_notice)
