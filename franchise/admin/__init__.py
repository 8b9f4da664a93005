"""Organisation admin pages (``/admin/org/...``) and their navigation entries.

``views`` holds the routes, ``support`` the listing, CSV and form helpers they share.
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES
from app.extensions import add_nav
from app.web.i18n import N_


def init_app(app: Flask) -> None:
    """Register the pages and their navigation entries."""
    from franchise.admin.views import bp

    app.register_blueprint(bp)
    group = N_("Organisation")
    for order, (label, endpoint, icon) in enumerate(
        [
            (N_("Franchisees"), "franchise_admin.franchisees", "users"),
            (N_("Stores"), "franchise_admin.stores", "store"),
            (N_("Guides"), "franchise_admin.guides", "user"),
            (N_("Regions"), "franchise_admin.regions", "map"),
        ],
        start=1,
    ):
        add_nav(
            app, "admin", group, label, endpoint, roles=ADMIN_UI_ROLES, icon=icon, order=100 + order
        )
