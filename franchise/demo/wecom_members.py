"""Demo WeCom directory: the emulator's corp gets one department per store with that
store's guides as members, plus a few colleagues no guide is linked to yet (for the guide
form's picker), then Siyu reads it the way the nightly job does.

Runs only where the in-process sandbox answers (embedded mode); idempotent.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.wechat.sandbox import EXTENSION_KEY, sandbox_reachable, sandbox_state
from franchise.models import Guide, Store
from franchise.services.wecom_members import sync_directory

DEPARTMENT_BASE = 100  # store N is department 100 + N
NEW_COLLEAGUES = (("siyu_new_01", "韩雪"), ("siyu_new_02", "冯晓"), ("siyu_new_03", "曹敏"))


def demo_directory() -> tuple[list[dict], list[dict]]:
    """The demo corp's departments and members, from the stores and guides."""
    stores = db.session.scalars(select(Store).order_by(Store.id)).all()
    departments = [{"id": DEPARTMENT_BASE + s.id, "name": s.name[:32]} for s in stores]
    members = [
        {"userid": g.wecom_userid, "name": g.name, "department": [DEPARTMENT_BASE + g.store_id]}
        for g in db.session.scalars(select(Guide).order_by(Guide.id))
    ]
    first = departments[0]["id"] if departments else 1
    members += [{"userid": u, "name": n, "department": [first]} for u, n in NEW_COLLEAGUES]
    return departments, members


def seed_wecom_members(app: Flask) -> list[str]:
    """Seed the sandbox directory and read it into Siyu."""
    if not sandbox_reachable(app) or EXTENSION_KEY not in app.extensions:
        return []
    from app.wechat.sandbox.wecom_directory import seed_directory

    departments, members = demo_directory()
    seed_directory(sandbox_state(app), departments, members)
    result = sync_directory()
    return [f"WeCom directory: {result.members} members in {result.departments} departments"]
