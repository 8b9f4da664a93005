"""The franchise domain: who owns each customer, and where the money goes.

Organisation (HQ → region → franchisee → store → guide), customers and their assignment,
catalogue, coupons, orders, WeChat Pay, the ledger and settlement: models, services, the JSON API
(``franchise.api``), the admin pages (``franchise.admin``), the ``flask franchise``
commands (``franchise.cli``) and the demo seed (``franchise.seed``). ``init_app`` plugs
them into the shared app; nothing here runs at import time.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprints, CLI commands, navigation and demo seed."""
    from app.extensions import api as openapi
    from app.extensions import registry
    from franchise import admin, cli
    from franchise import api as franchise_api
    from franchise.seed import seed_organisation
    from franchise.wiring import commerce, customers, payments

    openapi.register_blueprint(franchise_api.blp)
    admin.init_app(app)
    cli.init_app(app)
    registry(app).seeders.append(seed_organisation)
    from franchise.dashboard import organisation_panels

    registry(app).dashboard.append(organisation_panels)
    # areas of the customer, order and money flows, in dependency order
    customers.init_app(app)
    commerce.init_app(app)
    payments.init_app(app)
