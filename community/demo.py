"""Demo data on the WeChat side: customer groups in the sandbox, owned by the seeded guides.

Only runs when the sandbox is mounted (embedded mode); idempotent (skips when the sandbox
already has groups). The group sync of the community issue then reads them like real ones.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from franchise.models import Guide

DEMO_GROUPS = 60
MEMBERS_PER_GROUP = 25


def seed_sandbox_groups(app: Flask) -> list[str]:
    """Create ~60 WeCom customer groups with members, spread over the active guides."""
    if "siyu_sandbox" not in app.extensions:
        return []
    from app.wechat.sandbox import sandbox_state

    state = sandbox_state(app)
    existing = state.summary()["groups"]
    if existing:
        return [f"sandbox: {existing} WeCom customer groups already there"]
    owners = list(
        db.session.scalars(
            select(Guide.wecom_userid).where(Guide.status == "active").order_by(Guide.id)
        )
    )
    if not owners:
        return []
    ids = state.seed_groups(owners, DEMO_GROUPS, MEMBERS_PER_GROUP, prefix="Siyu")
    return [f"sandbox: created {len(ids)} WeCom customer groups for {len(owners)} guides"]
