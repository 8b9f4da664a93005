"""Registration of the organisation area: regions, franchisees, stores and guides.

The organisation API, the admin pages under ``/admin/org`` and their "Organisation"
navigation group, the dashboard's organisation panel and the demo organisation.
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES
from app.extensions import add_dashboard, add_navs, add_seeder, openapi
from app.web.i18n import N_

ORGANISATION = N_("Organisation")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (ORGANISATION, N_("Franchisees"), "franchise_admin.franchisees", ADMIN_UI_ROLES, "users", 101),
    (ORGANISATION, N_("Stores"), "franchise_admin.stores", ADMIN_UI_ROLES, "store", 102),
    (ORGANISATION, N_("Guides"), "franchise_admin.guides", ADMIN_UI_ROLES, "user", 103),
    (ORGANISATION, N_("Regions"), "franchise_admin.regions", ADMIN_UI_ROLES, "map", 104),
)


def register(app: Flask) -> None:
    """Register the organisation area on the app."""
    from franchise.admin import views as admin_views
    from franchise.api import org as api_org
    from franchise.dashboard import organisation_panels
    from franchise.demo.organisation import seed_organisation

    openapi(app).register_blueprint(api_org.blp)
    app.register_blueprint(admin_views.bp)
    add_navs(app, "admin", ADMIN_NAV)
    add_dashboard(app, organisation_panels)
    add_seeder(app, seed_organisation)
