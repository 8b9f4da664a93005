"""Scheduled livestream work and hooks: WeCom living creation and read-back, live prices.

- the order hooks on this app: live prices (``attribution.live_prices``), the stock cap
  (``reserve_within_caps``) and its release (``release_caps``);
- outbox handler ``livestream.living_create`` (``living.create_living``);
- ``livestream.enqueue_livings`` every 10 minutes and ``livestream.watch_stats`` every
  5 minutes (both idempotent);
- the link check's own registration (``livestream.services.linkcheck.register``).
"""

from __future__ import annotations

from flask import Flask


def enqueue_livings_job() -> int:
    """Queue ``living/create`` for store sessions that have none yet."""
    from livestream.services import living

    return living.enqueue_livings()


def watch_stats_job() -> dict:
    """Read the viewers of running (or just ended) WeCom lives."""
    from livestream.services import living

    return living.read_watch_stats()


def register(app: Flask) -> None:
    """Register the live area's jobs, outbox handlers and the live-price order hooks."""
    from app.extensions import add_hook
    from app.outbox import register_handler
    from app.scheduler import register_job
    from franchise.services import orders
    from livestream.services import attribution, linkcheck, living

    add_hook(app, orders.CAMPAIGN_PRICING, attribution.live_prices)
    add_hook(app, orders.CAMPAIGN_RESERVATIONS, attribution.reserve_within_caps)
    add_hook(app, orders.CAMPAIGN_RELEASES, attribution.release_caps)
    register_handler(app, living.LIVING_KIND, living.create_living)
    register_job(app, "livestream.enqueue_livings", enqueue_livings_job, "interval", minutes=10)
    register_job(app, "livestream.watch_stats", watch_stats_job, "interval", minutes=5)
    linkcheck.register(app)
