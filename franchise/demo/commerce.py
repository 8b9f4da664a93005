"""Demo data of the commerce area: products, coupon templates with budgets, coupons, and
~40 orders in every state (shipped and later ones paid through ``payments.settle``).

``seed_commerce`` is registered by ``franchise.wiring.commerce``; idempotent.
"""

from __future__ import annotations

from flask import Flask

# (sku, name, category, price in yuan, care interval in days)
PRODUCTS = [
    ("AU-BR-001", "足金古法手镯", "黄金", 12800, 180),
    ("AU-BR-002", "足金传承福镯", "黄金", 18600, 180),
    ("AU-PD-001", "足金如意吊坠", "黄金", 2680, 180),
    ("AU-RG-001", "足金素圈戒指", "黄金", 1980, 180),
    ("AU-ER-001", "足金小金豆耳钉", "黄金", 990, 180),
    ("K18-NK-001", "18K金锁骨项链", "K金", 1590, 180),
    ("K18-NK-002", "18K玫瑰金四叶草项链", "K金", 2380, 180),
    ("K18-BR-001", "18K金编织手链", "K金", 2160, 180),
    ("DI-RG-001", "钻石求婚戒指 30分", "钻石", 8800, 365),
    ("DI-RG-002", "钻石六爪经典戒指 50分", "钻石", 16800, 365),
    ("DI-ER-001", "钻石星光耳钉", "钻石", 3600, 365),
    ("DI-NK-001", "钻石心形项链", "钻石", 5200, 365),
    ("PT-RG-001", "铂金对戒", "铂金", 6600, 365),
    ("PT-NK-001", "铂金水波纹项链", "铂金", 2980, 365),
    ("PL-ER-001", "珍珠耳钉 8mm", "珍珠", 680, 365),
    ("PL-NK-001", "淡水珍珠项链", "珍珠", 1680, 365),
    ("PL-BR-001", "南洋金珠手链", "珍珠", 4200, 365),
    ("JD-BR-001", "和田玉平安扣手绳", "玉石", 1280, 365),
    ("JD-BG-001", "翡翠冰种手镯", "玉石", 26800, 365),
    ("SV-ER-001", "S925银镶锆石耳环", "银饰", 299, None),
]


def orderable_products() -> list:
    """The active products an order can name with no size chosen (no variants) and
    with stock, in id order: what the demo seeders order, whatever order the database
    keeps its rows in (PostgreSQL moves an updated row to the end of its table)."""
    from sqlalchemy import select

    from app.extensions import db
    from franchise.models import Product, ProductVariant

    sized = select(ProductVariant.product_id)
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.is_active.is_(True), Product.stock > 0, Product.id.not_in(sized))
            .order_by(Product.id)
        )
    )


def seed_commerce(app: Flask) -> list[str]:
    """Demo products, two coupon templates with budgets, coupons and ~40 orders (idempotent).

    Orders need customers (seeded by the customers area); without them only products
    and templates are created. Orders go through ``create_order`` and are then moved
    along with their events; none is left ``paid`` (the payments area creates paid
    orders through the pay flow). Shipped and later orders are back-dated and paid
    through ``payments.settle`` (``pay_demo_order``), so each has its payment and
    ledger postings like any paid order.
    """
    lines = _seed_products_and_templates()
    lines += _seed_coupons_and_orders()
    return lines


def _seed_products_and_templates() -> list[str]:
    from datetime import timedelta

    from sqlalchemy import select

    from app.clock import utcnow
    from app.extensions import db
    from franchise.models import CouponBudget, CouponTemplate, Product, Region

    lines = []
    if db.session.scalar(select(Product.id).limit(1)) is None:
        for n, (sku, name, category, yuan, care) in enumerate(PRODUCTS):
            db.session.add(
                Product(
                    sku=sku,
                    name=name,
                    category=category,
                    price_fen=yuan * 100,
                    stock=40 + (n * 37) % 160,
                    care_interval_days=care,
                    description=f"{name}，门店可免费清洗保养。",
                )
            )
        db.session.commit()
        lines.append(f"commerce: {len(PRODUCTS)} products")
    if db.session.scalar(select(CouponTemplate.id).limit(1)) is None:
        regions = db.session.scalars(select(Region).order_by(Region.id)).all()
        welcome = CouponTemplate(
            name="新客礼券 满500减50",
            kind="new_customer",
            amount_off_fen=5000,
            threshold_fen=50000,
            valid_days=30,
        )
        festival = CouponTemplate(
            name="金秋节 满3000减300",
            kind="campaign",
            amount_off_fen=30000,
            threshold_fen=300000,
            valid_from=utcnow() - timedelta(days=7),
            valid_until=utcnow() + timedelta(days=60),
        )
        for region in regions:
            welcome.budgets.append(CouponBudget(region_id=region.id, budget_count=2000))
            festival.budgets.append(CouponBudget(region_id=region.id, budget_count=300))
        db.session.add_all([welcome, festival])
        db.session.commit()
        lines.append("commerce: 2 coupon templates with budgets per region")
    return lines


def _seed_coupons_and_orders() -> list[str]:
    import random
    from datetime import timedelta

    from sqlalchemy import select

    from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ADMIN, User
    from app.clock import utcnow
    from app.errors import DomainError
    from app.extensions import db
    from franchise.models import Coupon, CouponTemplate, Customer, Order, OrderEvent, Product
    from franchise.services import coupons, orders

    customers = db.session.scalars(select(Customer).order_by(Customer.id).limit(200)).all()
    if not customers or db.session.scalar(select(Order.id).limit(1)) is not None:
        return []
    rng = random.Random(20261126)
    lines = []
    if db.session.scalar(select(Coupon.id).limit(1)) is None:
        festival = db.session.scalars(
            select(CouponTemplate).where(CouponTemplate.kind == "campaign")
        ).first()
        issued = 0
        for customer in customers[:60]:
            if coupons.issue_new_customer_coupon(customer.id) is not None:
                issued += 1
            if festival is not None and rng.random() < 0.4:
                try:
                    coupons.issue_coupon(festival.id, customer.id)
                    issued += 1
                except DomainError:
                    pass
        lines.append(f"commerce: {issued} coupons issued")
    products = orderable_products()
    hq = db.session.scalars(select(User).where(User.role == HQ_ADMIN)).first()
    paths = {
        "created": [],
        "cancelled": ["cancelled"],
        "shipped": ["paid", "shipped"],
        "received": ["paid", "shipped", "received"],
        "picked_up": ["paid", "shipped", "received", "picked_up"],
        "delivered": ["paid", "shipped", "received", "delivered"],
        "completed": ["paid", "shipped", "received", "picked_up", "completed"],
    }
    targets = (
        ["created"] * 8
        + ["cancelled"] * 5
        + ["shipped"] * 6
        + ["received"] * 7
        + ["picked_up"] * 3
        + ["delivered"] * 3
        + ["completed"] * 8
    )
    made = 0
    for target in targets:
        customer = rng.choice(customers)
        picks = rng.sample(products, k=rng.choice((1, 1, 2)))
        items = [{"product_id": p.id, "quantity": 1} for p in picks]
        try:
            order = orders.create_order(customer.id, items)
        except DomainError:
            continue
        made += 1
        start = utcnow() - timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 12))
        order.created_at = start
        for event in order.events:
            event.created_at = start
        owner = db.session.scalars(
            select(User).where(
                User.role == FRANCHISE_OWNER, User.franchisee_id == order.franchisee_id
            )
        ).first()
        guide_user = (
            db.session.scalars(
                select(User).where(User.role == GUIDE, User.store_id == order.store_id)
            ).first()
            if order.store_id
            else None
        )
        previous, moment = "created", start
        db.session.commit()
        for step in paths[target]:
            moment += timedelta(hours=rng.randint(2, 30))
            if step == "paid":  # through the notify's own path: payment and ledger
                order = pay_demo_order(order.id, moment)
                previous = step
                continue
            if step == "shipped":
                role, actor = HQ_ADMIN, hq
            elif step == "cancelled":
                role, actor = "customer", None
            else:
                use_guide = guide_user is not None and rng.random() < 0.7
                role = GUIDE if use_guide else FRANCHISE_OWNER
                actor = guide_user if use_guide else owner
            db.session.add(
                OrderEvent(
                    order_id=order.id,
                    from_status=previous,
                    to_status=step,
                    actor_user_id=actor.id if actor else None,
                    actor_role=role,
                    note="demo",
                    created_at=moment,
                )
            )
            previous = step
        order.status = previous
        order.updated_at = moment
        if previous == "cancelled":
            for line in order.lines:
                product = db.session.get(Product, line.product_id)
                assert product is not None  # a line's product is a foreign key
                product.stock += line.quantity
        db.session.commit()
    lines.append(f"commerce: {made} demo orders")
    return lines


def pay_demo_order(order_id: int, moment):
    """Post a demo order's payment at ``moment`` through ``payments.settle`` (the notify's
    own path: payment, order paid with its event, three ledger postings, HQ's profit
    share), so the ledger holds it by construction; returns the order, reloaded.

    The payment is ``source="demo"`` with a ``4200DEMO…`` transaction id: WeChat never
    saw it, so its profit share is marked done instead of being sent (the sandbox would
    refuse an order it does not know), and a reconciliation of that day lists it as
    missing in the bill.
    """
    from sqlalchemy import select, update

    from app.clock import SHANGHAI
    from app.extensions import db
    from app.outbox import DONE, OutboxMessage
    from franchise.models import Franchisee, Order, OrderEvent, Payment, ProfitShare
    from franchise.services import payments

    order = db.session.get(Order, order_id)
    assert order is not None  # the caller has just written it
    franchisee = db.session.get(Franchisee, order.franchisee_id)
    assert franchisee is not None  # a foreign key
    sub_mch_id = franchisee.sub_mch_id
    order.out_trade_no = order.order_no
    paid = {
        "out_trade_no": order.order_no,
        "transaction_id": f"4200DEMO{order.order_no}"[:32],
        "sub_mch_id": sub_mch_id,
        "total_fee": order.payable_fen,
        "time_end": moment.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S"),
    }
    db.session.commit()
    payments.settle(paid, source="demo")
    db.session.execute(  # the paid event at the demo's moment, like the others
        update(OrderEvent)
        .where(OrderEvent.order_id == order_id, OrderEvent.to_status == "paid")
        .values(created_at=moment)
    )
    shares = db.session.scalars(
        select(ProfitShare.id)
        .join(Payment, Payment.id == ProfitShare.payment_id)
        .where(Payment.order_id == order_id)
    ).all()
    for share_id in shares:
        db.session.execute(
            update(ProfitShare).where(ProfitShare.id == share_id).values(status="done")
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == f"profit_share:{share_id}")
            .values(status=DONE, done_at=moment)
        )
    db.session.commit()
    return db.session.get(Order, order_id)
