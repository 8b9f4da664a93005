"""The demo seed: runs each domain's registered seeder in registration order.

Seeders are idempotent (they reuse what is there), so ``scripts/run`` can call this on
every start. Each seeder takes the app and returns lines to print.
"""

from __future__ import annotations

from flask import Flask

from app.extensions import registry


def seed_demo(app: Flask) -> list[str]:
    """Run every registered seeder inside an app context; returns what they report."""
    lines: list[str] = []
    with app.app_context():
        for seeder in registry(app).seeders:
            lines.extend(seeder(app) or [])
    return lines
