"""Registration of the community delivery area (blueprints, nav, jobs, CLI, handlers, seeders)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the delivery area on the app."""
