"""Demo data of the groups area, registered by ``community.wiring.groups`` in this order:

* ``seed_sandbox_groups``: customer groups on the WeChat side (the sandbox), owned by the
  seeded guides; skips when the sandbox already has groups.
* ``seed_groups``: gives those groups ages, members and paying customers, syncs them like
  real ones, spreads them over the four stages and adds fission codes and a rule.

Both only run when the sandbox is mounted (embedded mode) and are idempotent.
"""

from __future__ import annotations

from datetime import timedelta

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


DEMO_EXTRA_MEMBERS = {0: 0, 1: 10, 2: 70, 3: 75}  # by bucket (i % 4): members to add
DEMO_AGE_DAYS = {0: 1, 1: 20, 2: 40, 3: 120}


def _enrich_sandbox(app: Flask) -> int:
    """Give the sandbox's demo groups ages, more members and paying customers (by bucket)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.wechat.sandbox import sandbox_state
    from franchise.models import PAID_STATUSES, Customer, Order

    st = sandbox_state(app)
    paid_ids = list(
        db.session.scalars(
            select(Order.customer_id)
            .where(Order.status.in_(PAID_STATUSES))
            .distinct()
            .order_by(Order.customer_id)
            .limit(40)
        )
    )
    buyers = []
    for customer in db.session.scalars(select(Customer).where(Customer.id.in_(paid_ids))):
        if not customer.unionid:
            customer.unionid = f"demo-union-{customer.id:05d}"  # demo data only
        buyers.append(customer.unionid)
    db.session.commit()
    now = int(st.now())
    with st.lock:
        groups = sorted(st.data["groups"].values(), key=lambda g: (g["create_time"], g["chat_id"]))
        for i, group in enumerate(groups):
            bucket = i % 4
            group["create_time"] = now - DEMO_AGE_DAYS[bucket] * 86400
            present = {m["userid"] for m in group["member_list"]}
            extra = []
            for j in range(DEMO_EXTRA_MEMBERS[bucket]):
                unionid = buyers[j] if bucket >= 2 and j < len(buyers) else None
                userid = f"wmDEMO{i:03d}{j:03d}"
                if userid in present:
                    continue
                extra.append(
                    {
                        "userid": userid,
                        "type": 2,
                        "join_time": now - (j % 14) * 86400,
                        "join_scene": 3,
                        "group_nickname": "",
                        "name": f"顾客{i:02d}{j:03d}",
                        "unionid": unionid or f"ouDEMO{i:03d}{j:03d}",
                    }
                )
            group["member_list"].extend(extra[: 500 - len(group["member_list"])])
    return len(groups)


def seed_groups(app: Flask) -> list[str]:
    """Sync the sandbox's demo groups, spread them over the four stages, add fission data."""
    if "siyu_sandbox" not in app.extensions:
        return []
    from sqlalchemy import func, select

    from app.clock import shanghai_day, utcnow
    from app.extensions import db
    from community.models.groups import WecomGroup
    from community.models.growth import FissionRule, InviteCode
    from community.services import fission, stages
    from community.services.sync import daily_metric, full_sync
    from franchise.models import CouponTemplate, Guide

    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(WecomGroup)):
            return ["community groups: already synced"]
        if not _enrich_sandbox(app):
            return ["community groups: no sandbox groups to sync"]
        run = full_sync(resume=False)
        if run.status != "done":
            return [f"community groups: sync failed ({run.error})"]
        cutoff = utcnow() - timedelta(days=DEMO_AGE_DAYS[2] - 5)
        old_groups = db.session.scalars(
            select(WecomGroup).where(WecomGroup.wecom_created_at <= cutoff)
        ).all()
        today = shanghai_day()
        for group in old_groups:  # buckets 2 and 3: growing, and pushes went out
            for back in range(14):
                metric = daily_metric(group.id, today - timedelta(days=back))
                metric.member_count = group.member_count
                metric.joins, metric.leaves = 2, int(back % 5 == 0)
                metric.sends_planned, metric.sends_done = 1, 1 if back % 7 else 0
        db.session.commit()
        result = stages.evaluate_all()
        guides = db.session.scalars(select(Guide).order_by(Guide.id).limit(2)).all()
        if not db.session.scalar(select(func.count()).select_from(InviteCode)):
            for guide in guides:
                fission.create_code(guide_id=guide.id, label=f"{guide.name} 门店活码")
            fission.create_code(campaign_id=1, label="双十二直播预热")
        template = db.session.scalars(select(CouponTemplate).order_by(CouponTemplate.id)).first()
        if template and not db.session.scalar(select(func.count()).select_from(FissionRule)):
            fission.create_rule("邀请 3 位好友入群", 3, template.id)
        spread = dict(
            db.session.execute(
                select(WecomGroup.stage, func.count()).group_by(WecomGroup.stage)
            ).all()
        )
        return [
            f"community groups: synced {run.groups_seen} groups, "
            f"{result['transitions']} stage transitions, stages {spread}"
        ]
