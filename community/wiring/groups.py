"""Registration of the community groups area (blueprints, nav, jobs, CLI, handlers, seeders)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the groups area on the app."""
