"""Factories for the delivery tests: groups (in the DB and, optionally, in the WeCom
sandbox with the same chat id), posts and plans written through the services."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import update

from app import outbox
from app.clock import shanghai_day, utcnow
from app.extensions import db
from community.models import SendBatch, WecomGroup
from community.services import allocation, content, delivery, escalation, plans
from franchise.models import Guide
from tests.fixtures.media import tiny_png
from tests.franchise.factories import gen_guide, gen_store

_seq = itertools.count(1)


def gen_wgroup(guide: Guide | None, *, sandbox=None, age_days: int = 30, **kw) -> WecomGroup:
    """A WecomGroup owned by ``guide``; with ``sandbox`` also created there (same chat id)."""
    n = next(_seq)
    kw.setdefault("chat_id", f"wrDLV{n:07d}")
    kw.setdefault("name", f"客户群 {n}")
    kw.setdefault("owner_userid", guide.wecom_userid if guide else f"nobody{n}")
    kw.setdefault("stage", "seeding")
    kw.setdefault("segment", "prospect")
    kw.setdefault("member_count", 20)
    kw.setdefault("wecom_created_at", utcnow() - timedelta(days=age_days))
    if guide is not None:
        kw.setdefault("guide_id", guide.id)
        kw.setdefault("store_id", guide.store_id)
        kw.setdefault("franchisee_id", guide.franchisee_id)
        kw.setdefault("region_id", guide.store.region_id if guide.store else None)
    group = WecomGroup(**kw)
    db.session.add(group)
    db.session.commit()
    if sandbox is not None:
        sandbox.create_groups(
            [
                {
                    "chat_id": group.chat_id,
                    "name": group.name,
                    "owner": group.owner_userid,
                    "members": [{"userid": f"wmX{n:05d}", "type": 2}],
                }
            ]
        )
    return group


def gen_wgroups(guide: Guide, count: int, *, sandbox=None, **kw) -> list[WecomGroup]:
    """Many groups for one guide, bulk-inserted (and in the sandbox when given)."""
    base = next(_seq) * 100000
    rows = [
        WecomGroup(
            chat_id=f"wrBULK{base + i:09d}",
            name=f"群 {base + i}",
            owner_userid=guide.wecom_userid,
            guide_id=guide.id,
            store_id=guide.store_id,
            franchisee_id=guide.franchisee_id,
            region_id=guide.store.region_id if guide.store else None,
            stage=kw.get("stage", "seeding"),
            segment=kw.get("segment", "prospect"),
            wecom_created_at=utcnow() - timedelta(days=30),
        )
        for i in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    if sandbox is not None:
        sandbox.create_groups([{"chat_id": g.chat_id, "owner": g.owner_userid} for g in rows])
    return rows


def gen_guides_with_groups(userids: list[str], groups_each: int, *, sandbox=None) -> list[Guide]:
    """A new store's guides, one per WeCom userid, each owning ``groups_each`` groups (in
    the sandbox too when given)."""
    store = gen_store()
    guides = [gen_guide(store, wecom_userid=userid) for userid in userids]
    for guide in guides:
        for _ in range(groups_each):
            gen_wgroup(guide, sandbox=sandbox)
    return guides


def gen_post(**kw):
    n = next(_seq)
    data = {"title": f"Post {n}", "purpose": "knowledge", "text": f"内容 {n}", "attachments": []}
    data.update(kw)
    return content.save_post(data)


def gen_image_post():
    """ "新品图": a new-product post whose one image, ``ring.png``, the content service
    uploads to WeCom (the emulator keeps the file) before saving the post."""
    return content.save_post_with_uploads(
        {
            "title": "新品图",
            "purpose": "new_product",
            "text": "看图",
            "attachments": [{"msgtype": "image", "image": {}}],
        },
        {0: ("ring.png", tiny_png())},
    )


def gen_plan(post, **kw):
    n = next(_seq)
    data = {
        "name": f"Plan {n}",
        "post_id": post.id,
        "schedule_kind": "weekly",
        "weekdays": list(range(7)),
        "send_time": "10:00",
        "priority": 50,
    }
    data.update(kw)
    if isinstance(data.get("dates"), str):  # the service takes JSON values: a list
        data["dates"] = data["dates"].split()
    return plans.save_plan(data)


def prepare(org, sandbox, groups_per_guide=3):
    """Groups of Ann and Bob in the DB and the sandbox, two plans, today allocated."""
    ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
    groups = [gen_wgroup(ann, sandbox=sandbox) for _ in range(groups_per_guide)]
    groups += [gen_wgroup(bob, sandbox=sandbox) for _ in range(groups_per_guide)]
    post = gen_post(
        title="新品上市",
        text="古法金新品到店",
        attachments=[{"msgtype": "link", "link": {"title": "新品", "url": "https://e.com"}}],
    )
    gen_plan(post, priority=80)
    gen_plan(gen_post(), priority=10)
    day = shanghai_day()
    allocation.allocate(day)
    return day, groups


def setup_groups(org):
    """Two groups of guide A (上海金饰群 0/1) and two of guide B (北京珍珠群 0/1)."""
    ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
    mine = [gen_wgroup(ann, name=f"上海金饰群 {i}") for i in range(2)]
    theirs = [gen_wgroup(bob, name=f"北京珍珠群 {i}") for i in range(2)]
    return mine, theirs


def reminded_out(now) -> None:
    """Every send batch has had its three reminders, the last three hours before ``now``."""
    db.session.execute(
        update(SendBatch).values(remind_count=3, last_reminded_at=now - timedelta(hours=3))
    )
    db.session.commit()


def escalated_to_owners(org, sandbox) -> None:
    """Ann's and Bob's sends of today made, reminded out and never confirmed: both on
    their store owners' lists."""
    day, _groups = prepare(org, sandbox)
    delivery.create_batches(day)
    outbox.drain()
    now = utcnow()
    reminded_out(now)
    escalation.escalate(now)
