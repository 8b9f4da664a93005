"""Registration of the commerce area (blueprints, nav, jobs, CLI, handlers, seeders)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the commerce area on the app."""
