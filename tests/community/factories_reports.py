"""Factories for the report tests: paid orders with a share code, a group member who is a
customer, and the world where two plans reached Ann's and Bob's groups."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import outbox
from app.clock import shanghai_day, utcnow
from app.extensions import db
from community.models import GroupMember, SendBatch
from community.services import allocation, delivery
from franchise.models import Guide, Order, ShareCode
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.franchise.factories_commerce import gen_customer

LINK = {"msgtype": "link", "link": {"title": "新品", "url": "https://shop.example.com/p?id=9"}}


def gen_order(customer, code, paid_at, fen, franchisee_id=None) -> Order:
    """A paid order placed with ``code`` (or none)."""
    n = db.session.query(Order).count() + 1
    order = Order(order_no=f"R{n:09d}", customer_id=customer.id, share_code=code,
                  franchisee_id=franchisee_id or customer.franchisee_id, status="paid",
                  total_fen=fen, payable_fen=fen, paid_fen=fen, paid_at=paid_at)  # fmt: skip
    db.session.add(order)
    db.session.commit()
    return order


def add_customer_member(group, customer) -> None:
    """``customer`` joined ``group`` three days ago."""
    db.session.add(GroupMember(group_id=group.id, userid=f"wm{customer.id}", member_type=2,
                               customer_id=customer.id,
                               join_time=utcnow() - timedelta(days=3)))  # fmt: skip
    db.session.commit()


def sent_world(org, sandbox, client) -> dict:
    """Ann's group got plan A (all groups), Bob's plan B (franchise B only), both confirmed
    and read back; a customer in each group; Ann's and Bob's codes as the links carried."""
    ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
    g_ann, g_bob = gen_wgroup(ann, sandbox=sandbox), gen_wgroup(bob, sandbox=sandbox)
    plan_a = gen_plan(gen_post(title="古法金", attachments=[LINK]), name="全国", priority=80)
    plan_b = gen_plan(gen_post(title="北京专享", attachments=[LINK]), name="北京", priority=90,
                      franchisee_ids=[org.fb])  # fmt: skip
    day = shanghai_day()
    allocation.allocate(day)
    delivery.create_batches(day)
    outbox.drain()
    for batch in db.session.scalars(select(SendBatch)):
        assert client.post(f"/_sandbox/control/tasks/{batch.msgid}/confirm").status_code == 200
    delivery.read_back(day)
    x = gen_customer(org.fa, org.sa, org.ga, nickname="小雪")
    y = gen_customer(org.fb, org.sb, org.gb, nickname="小雨")
    add_customer_member(g_ann, x)
    add_customer_member(g_bob, y)
    codes = {c.guide_id: c.code for c in db.session.scalars(select(ShareCode))}
    return {"day": day, "plan_a": plan_a.id, "plan_b": plan_b.id, "x": x, "y": y,
            "ann_code": codes[org.ga], "bob_code": codes[org.gb], "g_ann": g_ann.id}  # fmt: skip
