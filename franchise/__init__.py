"""The franchise domain: who owns each customer, and where the money goes.

Organisation (HQ → region → franchisee → store → guide), customers and their assignment,
catalogue, coupons, orders, WeChat Pay, the ledger and settlement: models, services, the JSON API
(``franchise.api``), the admin pages (``franchise.admin``), the guide pages
(``franchise.guide``), the jobs (``franchise.jobs``), the ``flask franchise`` commands
(``franchise.cli``) and the demo data (``franchise.demo``). ``init_app`` plugs them into the
shared app through ``franchise.wiring``; nothing here runs at import time.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register each area of this domain in dependency order, then its CLI commands."""
    import franchise.models  # noqa: F401 - the tables
    from franchise import cli
    from franchise.wiring import commerce, credit, customers, members, organisation, payments

    for area in (organisation, customers, commerce, payments, credit, members):
        area.register(app)
    cli.register(app)
