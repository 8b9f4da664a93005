"""Registration of the jewellery area (issue 19): the metal price board, by-weight
pricing and variants, and the piece registry.

Blueprints (the JSON API, the admin pages), the admin navigation entries under "Sales",
the metal price feed's pull when ``METAL_PRICE_FEED_URL`` is set, and the demo board,
by-weight products and pieces (``franchise.demo.jewellery``).
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.extensions import register_area
from app.scheduler import register_job
from app.web.i18n import N_

SALES = N_("Sales")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (SALES, N_("Metal prices"), "jewellery_admin.metal_prices_board", HQ_ROLES, "chart", 303),
    (SALES, N_("Pieces"), "jewellery_admin.piece_list", ADMIN_UI_ROLES, "box", 304),
)


def register(app: Flask) -> None:
    """Register the jewellery area on the app."""
    from franchise.admin import jewellery as admin_jewellery
    from franchise.admin import metal_board_import as admin_metal_import
    from franchise.admin import product_pricing as admin_product_pricing
    from franchise.api import jewellery as api_jewellery
    from franchise.demo.jewellery import seed_jewellery
    from franchise.jobs.metal_feed import metal_feed_job

    register_area(
        app,
        (api_jewellery, admin_jewellery, admin_metal_import, admin_product_pricing),
        navs={"admin": ADMIN_NAV},
        seeders=(seed_jewellery,),
    )
    if app.config.get("METAL_PRICE_FEED_URL"):  # the feed is off unless configured
        register_job(
            app,
            "franchise.metal_prices.pull_feed",
            metal_feed_job,
            "interval",
            minutes=int(app.config["METAL_PRICE_FEED_MINUTES"]),
        )
