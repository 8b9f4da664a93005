"""The community domain: WeCom customer groups by lifecycle stage (docs/ARCHITECTURE.md).

Areas: ``groups`` (sync, stages, segments, benchmark replication, fission) and
``delivery`` (content library, push plans, the daily slot allocator, guide-confirmed
delivery through the outbox, care triggers). ``init_app`` plugs each into the app through
``community.wiring``, then adds the ``flask community`` commands (``community.cli``); the
demo data is ``community.demo``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register each area of this domain in dependency order, then its CLI commands."""
    import community.models  # noqa: F401 - the tables
    from community import cli
    from community.wiring import contacts, delivery, groups, journeys, reports, wecom_customers

    for area in (groups, contacts, delivery, wecom_customers, journeys, reports):
        area.register(app)
    cli.register(app)
