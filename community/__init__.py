"""The community domain (see ../shared/DESIGN.md)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprints, CLI commands, jobs and subscriptions."""
