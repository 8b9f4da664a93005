"""Factories for the community groups tests: the organisation, groups written directly,
members, paid orders, and groups placed in the WeCom sandbox."""

from __future__ import annotations

import itertools
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from app.clock import shanghai_day, utcnow
from app.extensions import db
from community.models.groups import GroupDailyMetric, GroupMember, WecomGroup
from franchise.models import Customer, Order
from tests.fixtures.auth import gen_user
from tests.fixtures.database import saved
from tests.franchise.factories import gen_franchisee, gen_guide, gen_region, gen_store

_seq = itertools.count(1)


def build_org() -> SimpleNamespace:
    """Franchisees A (region EAST) and B (NORTH), a store and a guide each, and logins."""
    east = gen_region(code="EAST", name="华东")
    north = gen_region(code="NORTH", name="华北")
    fa = gen_franchisee(east, name="Alpha", sub_mch_id="1900000301")
    fb = gen_franchisee(north, name="Beta", sub_mch_id="1900000302")
    sa = gen_store(fa, code="SH-A", name="上海A店")
    sb = gen_store(fb, code="BJ-B", name="北京B店", city="北京")
    ga = gen_guide(sa, name="Ann", wecom_userid="ann")
    ga2 = gen_guide(sa, name="Amy", wecom_userid="amy")
    gb = gen_guide(sb, name="Bob", wecom_userid="bob")
    gen_user("hq", "hq_admin")
    gen_user("owner-a", "franchise_owner", franchisee_id=fa.id)
    gen_user("owner-b", "franchise_owner", franchisee_id=fb.id)
    gen_user("guide-a", "guide", franchisee_id=fa.id, store_id=sa.id, guide_id=ga.id)
    gen_user("guide-a2", "guide", franchisee_id=fa.id, store_id=sa.id, guide_id=ga2.id)
    return SimpleNamespace(
        east=east.id,
        north=north.id,
        fa=fa.id,
        fb=fb.id,
        sa=sa.id,
        sb=sb.id,
        ga=ga.id,
        ga2=ga2.id,
        gb=gb.id,
    )


def group_of_chat(chat_id: str) -> WecomGroup:
    """The stored group of WeCom's ``chat_id``."""
    return db.session.scalars(select(WecomGroup).where(WecomGroup.chat_id == chat_id)).one()


def gen_group(guide=None, *, members: int = 0, age_days: int = 0, **kw) -> WecomGroup:
    """A group written directly (no WeCom), with ``members`` external members."""
    n = next(_seq)
    kw.setdefault("chat_id", f"wrTEST{n:06d}")
    kw.setdefault("name", f"Group {n}")
    kw.setdefault("owner_userid", guide.wecom_userid if guide else f"owner{n}")
    if guide is not None:
        kw.setdefault("guide_id", guide.id)
        kw.setdefault("store_id", guide.store_id)
        kw.setdefault("franchisee_id", guide.franchisee_id)
        kw.setdefault("region_id", guide.store.region_id if guide.store else None)
    kw.setdefault("wecom_created_at", utcnow() - timedelta(days=age_days))
    group = WecomGroup(member_count=members, customer_count=members, purchased_count=0, **kw)
    db.session.add(group)
    db.session.flush()
    for j in range(members):
        db.session.add(GroupMember(group_id=group.id, userid=f"wm{n:04d}{j:04d}", member_type=2))
    db.session.commit()
    return group


def add_member(group: WecomGroup, customer: Customer | None = None, **kw) -> GroupMember:
    n = next(_seq)
    kw.setdefault("userid", f"wmX{n:06d}")
    return saved(
        GroupMember(
            group_id=group.id, member_type=2, customer_id=customer.id if customer else None, **kw
        )
    )


def gen_paid_order(customer: Customer, status: str = "paid") -> Order:
    n = next(_seq)
    return saved(
        Order(
            order_no=f"T{n:010d}",
            customer_id=customer.id,
            franchisee_id=customer.franchisee_id,
            store_id=customer.store_id,
            status=status,
            total_fen=100_00,
            payable_fen=100_00,
            paid_fen=100_00 if status != "created" else 0,
        )
    )


def add_metrics(group: WecomGroup, days: int, **values) -> None:
    """The same daily figures for each of the last ``days`` days."""
    today = shanghai_day()
    for back in range(days):
        db.session.add(
            GroupDailyMetric(group_id=group.id, day=today - timedelta(days=back), **values)
        )
    db.session.commit()


def control_group(client, chat_id: str, name: str, member: str, **kw) -> str:
    """A group of ann's with one external member, made through the emulator's control
    endpoint (WeCom then calls back about it); its chat id."""
    group = {"chat_id": chat_id, "name": name, "owner": "ann", **kw}
    group["members"] = [{"userid": member, "type": 2}]
    response = client.post("/_sandbox/control/groups", json={"groups": [group]})
    assert response.status_code == 201, response.get_json()
    return chat_id


def sandbox_group(app, owner: str, members: list[dict], **kw) -> str:
    """Create one group in the WeCom sandbox (no callback); returns its chat id."""
    from app.wechat.sandbox import sandbox_state

    return sandbox_state(app).create_groups([{"owner": owner, "members": members, **kw}])[0]
