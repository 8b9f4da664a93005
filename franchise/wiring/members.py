"""Registration of the members area: members, levels, the points book, point items.

The API (``franchise.api.members``, ``franchise.api.member_events``), the HQ and owner
pages (``franchise.admin.members``, ``franchise.admin.member_events``), navigation, the
earning on the ``ORDER_PAID`` hook (the minute's one read of new payments) with a nightly
sweep at 00:15, the jobs (expiry and reminders at 00:30, birthdays at 08:00, the yearly
level review on 1 January).
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE, HQ_ROLES
from app.extensions import register_area
from app.outbox import register_handler
from app.scheduler import register_job
from app.web.i18n import N_
from franchise.jobs.paid_followups import ORDER_PAID

MEMBERS = N_("Members")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (MEMBERS, N_("Members"), "members_admin.members", ADMIN_UI_ROLES, "user", 250),
    (
        MEMBERS,
        N_("Points settlement"),
        "members_admin.points_settlement",
        ADMIN_UI_ROLES,
        "money",
        251,
    ),
    (MEMBERS, N_("Points book"), "members_admin.points_book_page", HQ_ROLES, "book", 252),
    (MEMBERS, N_("Point items"), "members_admin.point_items_page", HQ_ROLES, "box", 253),
    (MEMBERS, N_("Member settings"), "member_settings_admin.settings", HQ_ROLES, "settings", 254),
    (MEMBERS, N_("Member events"), "member_events_admin.events", HQ_ROLES, "calendar", 255),
    (
        MEMBERS,
        N_("Event invitations"),
        "member_events_admin.invitations",
        ADMIN_UI_ROLES,
        "user",
        256,
    ),
)

MOBILE_NAV = ((N_("Sales"), N_("Record a sale"), "guide_sales.new_sale", (GUIDE,), "money", 33),)


def register(app: Flask) -> None:
    """Register the members area on the app."""
    from franchise.admin import member_events as admin_member_events
    from franchise.admin import member_settings as admin_member_settings
    from franchise.admin import members as admin_members
    from franchise.api import member_events as api_member_events
    from franchise.api import members as api_members
    from franchise.api import store_sales as api_store_sales
    from franchise.demo.members import seed_members
    from franchise.guide import sales as guide_sales
    from franchise.jobs import member_events as event_jobs
    from franchise.jobs import members as jobs
    from franchise.services import points
    from franchise.services.member_event_changes import EVENT_CANCELLED_KIND, EVENT_CHANGED_KIND

    register_area(
        app,
        (
            api_members,
            api_store_sales,
            api_member_events,
            admin_members,
            admin_member_settings,
            admin_member_events,
            guide_sales,
        ),
        navs={"admin": ADMIN_NAV, "mobile": MOBILE_NAV},
        # the minute's one read of new payments
        hooks=((ORDER_PAID, points.earn_on_paid),),
        seeders=(seed_members,),
    )
    register_handler(app, EVENT_CANCELLED_KIND, event_jobs.send_cancel_notice)
    register_handler(app, EVENT_CHANGED_KIND, event_jobs.send_change_notice)
    shanghai = {"timezone": "Asia/Shanghai"}
    register_job(
        app,
        "franchise.members.earn_sweep",
        jobs.earn_sweep_job,
        "cron",
        hour=0,
        minute=15,
        **shanghai,
    )
    register_job(
        app,
        "franchise.members.expire",
        jobs.expire_points_job,
        "cron",
        hour=0,
        minute=30,
        **shanghai,
    )
    register_job(
        app,
        "franchise.members.birthdays",
        jobs.birthday_job,
        "cron",
        hour=8,
        minute=0,
        **shanghai,
    )
    register_job(
        app,
        "franchise.members.yearly_review",
        jobs.yearly_review_job,
        "cron",
        month=1,
        day=1,
        hour=3,
        **shanghai,
    )
