"""Registration of the payments area (blueprints, nav, jobs, CLI, handlers, seeders)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the payments area on the app."""
