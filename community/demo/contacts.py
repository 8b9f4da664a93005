"""Demo contacts: every guide gets a 联系我 code in the WeCom sandbox and a few contacts
there, some of them customers the demo already has (the same unionid, so linked), then
the contacts are synced from the sandbox the way production syncs them from WeCom.

Runs only where the sandbox answers (embedded mode, ``scripts/prod-local``); idempotent:
a guide that already has contacts in Siyu is left alone.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.wechat.sandbox import EXTENSION_KEY, sandbox_reachable, sandbox_state
from community.models.contacts import ContactFollow
from community.services.contact_sync import sync_guide
from community.services.contact_ways import guide_way
from franchise.models import ACTIVE, Customer, Guide

log = logging.getLogger("siyu.community")

PER_GUIDE = 6  # contacts per guide, the first two of them existing customers
NAMES = ("林女士", "陈先生", "王小姐", "赵阿姨", "周先生", "吴女士", "郑小姐", "孙先生")


def seed_contacts(app: Flask) -> list[str]:
    """Seed sandbox contacts for every active guide and sync them (in-process sandbox)."""
    if not sandbox_reachable(app) or EXTENSION_KEY not in app.extensions:
        return []
    from app.wechat.sandbox.wecom_contacts import seed_contacts as seed_in_sandbox

    st = sandbox_state(app)
    guides = db.session.scalars(
        select(Guide).where(Guide.status == ACTIVE).order_by(Guide.id)
    ).all()
    seeded = linked = 0
    for n, guide in enumerate(guides):
        has = db.session.scalar(
            select(func.count())
            .select_from(ContactFollow)
            .where(ContactFollow.guide_id == guide.id)
        )
        if has:
            continue
        try:
            guide_way(guide)
        except Exception as exc:  # noqa: BLE001 - the demo goes on without this guide's code
            log.warning("demo contact way of %s failed: %s", guide.wecom_userid, exc)
        customers = db.session.scalars(
            select(Customer)
            .where(Customer.guide_id == guide.id, Customer.unionid.is_not(None))
            .order_by(Customer.id)
            .limit(2)
        ).all()
        people = [
            {"name": c.nickname or NAMES[i], "unionid": c.unionid} for i, c in enumerate(customers)
        ]
        people += [{"name": NAMES[(n + i) % len(NAMES)]} for i in range(PER_GUIDE - len(people))]
        seed_in_sandbox(st, guide.wecom_userid, people)
        run = sync_guide(guide, resume=False)
        seeded += run.contacts_seen
        linked += len(customers)
    if not seeded:
        return ["community contacts: already seeded"]
    return [f"community contacts: {seeded} contacts of {len(guides)} guides ({linked} customers)"]
