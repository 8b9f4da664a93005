"""Registration of the community groups area: the groups API, admin and guide pages, the
``Community`` (社群) navigation, the daily stage job (03:00 Asia/Shanghai), the re-read
outbox handler, the ``change_external_chat`` subscriber and the demo groups
(``community.demo.groups``). Its commands (``flask community sync``, ``evaluate-stages``)
are in ``community.cli``."""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE, HQ_ROLES
from app.extensions import register_area
from app.outbox import register_handler
from app.scheduler import register_job
from app.web.i18n import N_
from app.wechat import subscribe

COMMUNITY = N_("Community")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (COMMUNITY, N_("Customer groups"), "community_groups.groups", ADMIN_UI_ROLES, "users", 400),
    (COMMUNITY, N_("Fission"), "community_groups.fission_page", HQ_ROLES, "share", 405),
)
MOBILE_NAV = ((COMMUNITY, N_("My groups"), "community_guide_groups.groups", (GUIDE,), "users", 40),)


def register(app: Flask) -> None:
    """Register the groups area on the app."""
    from community.admin import groups as admin_groups
    from community.api import groups as api_groups
    from community.demo.groups import seed_groups, seed_sandbox_groups
    from community.guide import groups as guide_groups
    from community.jobs.groups import run_daily_stages
    from community.services import callbacks

    register_area(
        app,
        (api_groups, admin_groups, guide_groups),
        navs={"admin": ADMIN_NAV, "mobile": MOBILE_NAV},
        seeders=(seed_sandbox_groups, seed_groups),
    )
    register_job(
        app,
        "community.stages",
        run_daily_stages,
        "cron",
        hour=3,
        minute=0,
        timezone="Asia/Shanghai",
    )
    # the re-read of a group WeCom does not show changed yet
    register_handler(app, callbacks.RESYNC_KIND, callbacks.resync_group)
    subscribe(app, "change_external_chat", callbacks.handle_change_external_chat)
