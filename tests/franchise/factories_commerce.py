"""Factories for the commerce tests: products, customers, coupon templates, coupons, orders.

Rows are written directly (customers too: the assignment engine is another area's);
``make_paid`` stands in for the payments area, which marks an order paid.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.auth.principal import issue_customer_token
from app.clock import utcnow
from app.extensions import db
from franchise.models import (
    Coupon,
    CouponBudget,
    CouponTemplate,
    Customer,
    Guide,
    Order,
    OrderEvent,
    Product,
    ShareCode,
)
from tests.fixtures.database import saved

_seq = itertools.count(1)


def gen_product(**kw) -> Product:
    n = next(_seq)
    kw.setdefault("sku", f"SKU-{n:04d}")
    kw.setdefault("name", f"足金手镯 {n}")
    kw.setdefault("category", "黄金")
    kw.setdefault("price_fen", 100_00)
    kw.setdefault("stock", 10)
    return saved(Product(**kw))


def gen_customer(
    franchisee_id: int, store_id: int | None = None, guide_id: int | None = None, **kw
) -> Customer:
    n = next(_seq)
    kw.setdefault("openid", f"openid-{n}")
    kw.setdefault("nickname", f"顾客{n}")
    kw.setdefault("assignment_rule", "manual")
    return saved(Customer(franchisee_id=franchisee_id, store_id=store_id, guide_id=guide_id, **kw))


def gen_template(budgets: dict[int, int], **kw) -> CouponTemplate:
    """A template with ``{region_id: budget_count}``; 30 valid days by default."""
    n = next(_seq)
    kw.setdefault("name", f"满减券 {n}")
    kw.setdefault("kind", "campaign")
    kw.setdefault("amount_off_fen", 20_00)
    kw.setdefault("threshold_fen", 0)
    if "valid_until" not in kw:
        kw.setdefault("valid_days", 30)
    template = CouponTemplate(**kw)
    for region_id, count in budgets.items():
        template.budgets.append(CouponBudget(region_id=region_id, budget_count=count))
    return saved(template)


def gen_coupon(template: CouponTemplate, customer: Customer, **kw) -> Coupon:
    """A coupon row written directly (bypassing the budget), e.g. an expired one."""
    n = next(_seq)
    kw.setdefault("code", f"TEST{n:08d}")
    kw.setdefault("expires_at", utcnow() + timedelta(days=10))
    return saved(
        Coupon(
            template_id=template.id,
            customer_id=customer.id,
            franchisee_id=customer.franchisee_id,
            **kw,
        )
    )


def gen_share_code(guide: Guide, **kw) -> ShareCode:
    n = next(_seq)
    kw.setdefault("code", f"SC{n:06d}")
    return saved(
        ShareCode(
            kind="guide",
            franchisee_id=guide.franchisee_id,
            store_id=guide.store_id,
            guide_id=guide.id,
            **kw,
        )
    )


def make_paid(order: Order) -> Order:
    """What the payments area does on a verified notify (status, amounts, event)."""
    n = next(_seq)
    db.session.add(OrderEvent(order_id=order.id, from_status=order.status, to_status="paid"))
    order.status = "paid"
    order.paid_fen = order.payable_fen
    order.paid_at = utcnow()
    order.transaction_id = f"42000{n:010d}"
    db.session.commit()
    return order


def customer_headers(customer_id: int) -> dict:
    return {"Authorization": f"Bearer {issue_customer_token(customer_id)}"}


def build_shop(org):
    """Products and customers on top of the ``org`` fixture (call inside an app context).

    ``ring`` ¥1,000 (stock 5), ``pearl`` ¥300 (stock 50), ``old`` inactive; customers
    ``ca`` (franchise A, store SH-A, guide Ann), ``ca2`` (A, no guide), ``cb`` (B).
    """
    from types import SimpleNamespace

    ring = gen_product(
        sku="RING-1",
        name="钻石戒指",
        price_fen=1000_00,
        stock=5,
        care_interval_days=365,
        category="钻石",
    )
    pearl = gen_product(sku="PEARL-1", name="珍珠耳钉", price_fen=300_00, stock=50, category="珍珠")
    old = gen_product(sku="OLD-1", name="停售项链", price_fen=500_00, stock=5, is_active=False)
    ca = gen_customer(org.fa, org.sa, org.ga, nickname="小美")
    ca2 = gen_customer(org.fa, org.sa, None, nickname="小丽")
    cb = gen_customer(org.fb, org.sb, org.gb, nickname="小北")
    return SimpleNamespace(ring=ring.id, pearl=pearl.id, old=old.id, ca=ca.id, ca2=ca2.id, cb=cb.id)
