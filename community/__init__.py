"""The community domain: WeCom customer groups by lifecycle stage (docs/ARCHITECTURE.md).

Areas: ``groups`` (sync, stages, segments, benchmark replication, fission) and
``delivery`` (content library, push plans, the daily slot allocator, guide-confirmed
delivery through the outbox, care triggers). ``init_app`` plugs each into the app.
"""

from __future__ import annotations

from flask import Flask

from app.extensions import registry


def init_app(app: Flask) -> None:
    """Register this domain's blueprints, CLI commands, jobs, subscriptions and seeders."""
    import community.models  # noqa: F401 - the tables
    from community.demo import seed_sandbox_groups
    from community.wiring import delivery, groups

    registry(app).seeders.append(seed_sandbox_groups)
    groups.init_app(app)
    delivery.init_app(app)
