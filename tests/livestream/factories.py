"""Small factories for the livestream tests, writing rows directly (no services).

``gen_campaign`` makes a campaign with its participating stores resolved, its sessions
(one HQ session, or one per store) and a line-up; ``gen_paid_order`` a paid order at a
given time (for the 90-day GMV weights and for review figures).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.clock import utcnow
from app.extensions import db
from franchise.models import Customer, Order, Product, Store
from livestream.models import Campaign, CampaignStore, LineupItem, LiveSession

_seq = itertools.count(1)


def gen_product(**kw) -> Product:
    n = next(_seq)
    kw.setdefault("sku", f"LIVE-{n:04d}")
    kw.setdefault("name", f"直播款手链 {n}")
    kw.setdefault("category", "黄金")
    kw.setdefault("price_fen", 2000_00)
    kw.setdefault("stock", 50)
    product = Product(**kw)
    db.session.add(product)
    db.session.commit()
    return product


def gen_campaign(
    mode: str = "hq",
    store_ids: list[int] = (),
    products: list[Product] = (),
    live_in_days: float = 30,
    **kw,
) -> Campaign:
    """A scheduled campaign ``live_in_days`` from now over ``store_ids``.

    Each product goes in the line-up at 80 % of its price with a stock cap of 20.
    """
    n = next(_seq)
    kw.setdefault("name", f"直播活动 {n}")
    kw.setdefault("status", "scheduled")
    live_at = utcnow().replace(microsecond=0) + timedelta(days=live_in_days)
    campaign = Campaign(mode=mode, live_at=live_at, store_ids=list(store_ids), **kw)
    db.session.add(campaign)
    for store_id in store_ids:
        store = db.session.get(Store, store_id)
        campaign.stores.append(
            CampaignStore(
                store_id=store.id, franchisee_id=store.franchisee_id, region_id=store.region_id
            )
        )
        if mode == "store":
            campaign.sessions.append(
                LiveSession(
                    store_id=store.id,
                    franchisee_id=store.franchisee_id,
                    title=f"{store.name} 店播",
                    starts_at=live_at,
                )
            )
    if mode == "hq":
        campaign.sessions.append(LiveSession(title=campaign.name, starts_at=live_at))
    for i, product in enumerate(products):
        campaign.lineup.append(
            LineupItem(
                product_id=product.id,
                live_price_fen=product.price_fen * 8 // 10,
                stock_cap=20,
                sort=i,
            )
        )
    db.session.commit()
    return campaign


def gen_live_customer(store: Store, guide_id: int | None = None, **kw) -> Customer:
    n = next(_seq)
    kw.setdefault("openid", f"live-openid-{n}")
    kw.setdefault("nickname", f"直播顾客{n}")
    kw.setdefault("assignment_rule", "manual")
    customer = Customer(
        franchisee_id=store.franchisee_id, store_id=store.id, guide_id=guide_id, **kw
    )
    db.session.add(customer)
    db.session.commit()
    return customer


def gen_paid_order(
    customer: Customer, paid_fen: int, days_ago: float = 10, campaign_id: int | None = None, **kw
) -> Order:
    """A paid order (no lines) ``days_ago`` days back, attributed like the customer."""
    n = next(_seq)
    when = utcnow() - timedelta(days=days_ago)
    order = Order(
        order_no=f"LIVE{n:018d}",
        customer_id=customer.id,
        franchisee_id=customer.franchisee_id,
        store_id=customer.store_id,
        guide_id=kw.pop("guide_id", customer.guide_id),
        campaign_id=campaign_id,
        status=kw.pop("status", "paid"),
        total_fen=paid_fen,
        payable_fen=paid_fen,
        paid_fen=paid_fen,
        paid_at=when,
        created_at=when,
        **kw,
    )
    db.session.add(order)
    db.session.commit()
    return order
