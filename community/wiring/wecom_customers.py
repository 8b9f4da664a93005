"""Registration of the guide's WeCom customers area (issue 14, items 3–6): group join
codes (``community.services.join_ways``), customer tags, hand-over through WeCom and the
people behind group members — their pages, outbox handlers, jobs, hooks and WeCom
subscriptions."""

from __future__ import annotations

from flask import Flask

from app.outbox import register_handler


def register(app: Flask) -> None:
    """Register the WeCom customers area on the app."""
    from community.services import join_ways

    register_handler(app, join_ways.JOIN_WAY_KIND, join_ways.handle_join_way)
