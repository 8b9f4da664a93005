"""Demo data: one campaign of each mode at different stages (see ``seed_campaigns``)."""

from __future__ import annotations

from flask import Flask


def seed_campaigns(app: Flask) -> list[str]:
    """Seed the demo campaigns (idempotent)."""
    return []
