"""Registration of the organisation area: regions, franchisees, stores and guides.

The organisation API, the admin pages under ``/admin/org`` and their "Organisation"
navigation group, the dashboard's organisation panel and the demo organisation; WeCom's
member directory (API, page, nightly read at 02:30 Shanghai, the ``change_contact``
callbacks, the demo corp's members).
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.extensions import register_area
from app.scheduler import register_job
from app.web.dashboard import add_dashboard
from app.web.i18n import N_
from app.wechat import subscribe

ORGANISATION = N_("Organisation")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (ORGANISATION, N_("Franchisees"), "franchise_admin.franchisees", ADMIN_UI_ROLES, "users", 101),
    (ORGANISATION, N_("Stores"), "franchise_admin.stores", ADMIN_UI_ROLES, "store", 102),
    (ORGANISATION, N_("Guides"), "franchise_admin.guides", ADMIN_UI_ROLES, "user", 103),
    (ORGANISATION, N_("Regions"), "franchise_admin.regions", ADMIN_UI_ROLES, "map", 104),
    (ORGANISATION, N_("WeCom members"), "franchise_admin.wecom_members", HQ_ROLES, "users", 105),
)


def register(app: Flask) -> None:
    """Register the organisation area on the app."""
    from franchise.admin import views as admin_views
    from franchise.admin import wecom_members as _wecom_pages  # noqa: F401 - routes on the bp
    from franchise.api import org as api_org
    from franchise.api import wecom_members as api_wecom_members
    from franchise.dashboard import ORGANISATION_PANEL
    from franchise.demo.organisation import seed_organisation
    from franchise.demo.wecom_members import seed_wecom_members
    from franchise.jobs.wecom_members import sync_directory_job
    from franchise.services.wecom_directory_events import handle_change_contact
    from franchise.services.wecom_members import last_synced_at, member_name

    register_area(
        app,
        (api_org, api_wecom_members, admin_views),
        navs={"admin": ADMIN_NAV},
        seeders=(seed_organisation, seed_wecom_members),
    )
    app.add_template_global(last_synced_at, "wecom_synced_at")
    app.add_template_global(member_name, "wecom_member_name")
    add_dashboard(app, ORGANISATION_PANEL)
    subscribe(app, "change_contact", handle_change_contact)
    register_job(
        app,
        "franchise.wecom_members.sync",
        sync_directory_job,
        "cron",
        hour=2,
        minute=30,
        timezone="Asia/Shanghai",
    )
