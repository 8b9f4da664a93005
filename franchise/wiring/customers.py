"""Registration of the customers area (blueprints, nav, jobs, CLI, handlers, seeders)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the customers area on the app."""
