"""Scheduled livestream work and hooks: WeCom living creation and read-back, live prices.

- the live-price hook ``attribution.live_prices`` on franchise orders (added once, even
  when the app is built many times in one process);
- outbox handler ``livestream.living_create`` (``living.create_living``);
- ``livestream.enqueue_livings`` every 10 minutes and ``livestream.watch_stats`` every
  5 minutes (both idempotent);
- the link check's own registration (``livestream.services.linkcheck.register``) when
  that module provides one.
"""

from __future__ import annotations

import importlib

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
    from app.outbox import register_handler
    from app.scheduler import register_job
    from franchise.services import orders
    from livestream.services import attribution, living

    if attribution.live_prices not in orders.campaign_pricing:
        orders.campaign_pricing.append(attribution.live_prices)
    if attribution.reserve_within_caps not in orders.campaign_reservations:
        orders.campaign_reservations.append(attribution.reserve_within_caps)
    if attribution.release_caps not in orders.campaign_releases:
        orders.campaign_releases.append(attribution.release_caps)
    register_handler(app, living.LIVING_KIND, living.create_living)
    register_job(app, "livestream.enqueue_livings", enqueue_livings_job, "interval", minutes=10)
    register_job(app, "livestream.watch_stats", watch_stats_job, "interval", minutes=5)
    try:
        linkcheck = importlib.import_module("livestream.services.linkcheck")
    except ModuleNotFoundError as exc:  # absent: skip; a broken import inside it: raise
        if exc.name != "livestream.services.linkcheck":
            raise
        linkcheck = None
    if linkcheck is not None and callable(getattr(linkcheck, "register", None)):
        linkcheck.register(app)
