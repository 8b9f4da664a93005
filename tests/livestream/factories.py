"""Small factories for the livestream tests, writing rows directly (no services).

``gen_campaign`` makes a campaign with its participating stores resolved, its sessions
(one HQ session, or one per store) and a line-up; ``gen_paid_order`` a paid order at a
given time (for the 90-day GMV weights and for review figures); ``gen_target`` one
target row of a campaign. ``build_live_org`` is the
chain behind the ``live_org`` fixture; ``campaign_body`` / ``post_campaign`` create a
campaign through the API.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from types import SimpleNamespace

from app.clock import shanghai_day, utcnow
from app.extensions import db
from franchise.models import Customer, Order, Product, Store
from livestream.models import Campaign, CampaignStore, CampaignTarget, LineupItem, LiveSession
from tests.fixtures.auth import csrf_token_from, gen_user
from tests.fixtures.database import saved
from tests.franchise.factories import gen_franchisee, gen_guide, gen_region, gen_store
from tests.franchise.factories_commerce import gen_customer
from tests.franchise.factories_commerce import gen_product as shop_product

_seq = itertools.count(1)


def gen_product(**kw) -> Product:
    """A live line-up product: the shop's product, dearer and with more stock."""
    n = next(_seq)
    defaults = {"sku": f"LIVE-{n:04d}", "name": f"直播款手链 {n}", "price_fen": 2000_00}
    return shop_product(**(defaults | {"stock": 50} | kw))


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


def gen_target(campaign_id: int, level: str, ref_id: int, region_id: int, **kw) -> None:
    """Add one target row (``level`` / ``ref_id``, in ``region_id``; figures in ``kw``)."""
    db.session.add(
        CampaignTarget(
            campaign_id=campaign_id, level=level, ref_id=ref_id, region_id=region_id, **kw
        )
    )


def gen_live_customer(store: Store, guide_id: int | None = None, **kw) -> Customer:
    """A customer of ``store`` (and its franchisee), of ``guide_id`` when given."""
    return gen_customer(store.franchisee_id, store.id, guide_id, **kw)


def gen_paid_order(
    customer: Customer, paid_fen: int, days_ago: float = 10, campaign_id: int | None = None, **kw
) -> Order:
    """A paid order (no lines) ``days_ago`` days back, attributed like the customer."""
    n = next(_seq)
    when = utcnow() - timedelta(days=days_ago)
    return saved(
        Order(
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
    )


def build_live_org() -> SimpleNamespace:
    """The chain behind the ``live_org`` fixture (tests/livestream/conftest.py)."""
    east = gen_region(code="EAST", name="华东", cities=("上海", "杭州"))
    north = gen_region(code="NORTH", name="华北", cities=("北京",))
    fa = gen_franchisee(east, name="Alpha Jewels", sub_mch_id="1900000301")
    fb = gen_franchisee(east, name="Beta Jewels", sub_mch_id="1900000302")
    fc = gen_franchisee(north, name="Gamma Jewels", sub_mch_id="1900000303")
    a1 = gen_store(fa, code="SH-A1", name="上海A1店", city="上海")
    a2 = gen_store(fa, code="SH-A2", name="上海A2店", city="上海")
    b1 = gen_store(fb, code="HZ-B1", name="杭州B1店", city="杭州", latitude=30.3, longitude=120.2)
    c1 = gen_store(fc, code="BJ-C1", name="北京C1店", city="北京", latitude=39.9, longitude=116.4)
    guides = {}
    for store in (a1, a2, b1, c1):
        for i in (1, 2):
            g = gen_guide(store, name=f"{store.code}-{i}", wecom_userid=f"{store.code.lower()}-{i}")
            guides[f"{store.code}-{i}"] = g.id
    products = [gen_product(price_fen=p) for p in (1999_00, 5880_00, 12800_00)]
    gen_user("hq", "hq_admin")
    gen_user("owner-a", "franchise_owner", franchisee_id=fa.id)
    gen_user("owner-c", "franchise_owner", franchisee_id=fc.id)
    gen_user("guide-a1", "guide", franchisee_id=fa.id, store_id=a1.id, guide_id=guides["SH-A1-1"])
    gen_user("guide-c1", "guide", franchisee_id=fc.id, store_id=c1.id, guide_id=guides["BJ-C1-1"])
    return SimpleNamespace(
        east=east.id,
        north=north.id,
        fa=fa.id,
        fb=fb.id,
        fc=fc.id,
        a1=a1.id,
        a2=a2.id,
        b1=b1.id,
        c1=c1.id,
        stores=[a1.id, a2.id, b1.id, c1.id],
        ga1=guides["SH-A1-1"],
        ga1b=guides["SH-A1-2"],
        ga2=guides["SH-A2-1"],
        gb1=guides["HZ-B1-1"],
        gc1=guides["BJ-C1-1"],
        products=[p.id for p in products],
    )


def live_at(days: int = 30) -> str:
    """An ISO time ``days`` from now, to the minute."""
    moment = utcnow().replace(microsecond=0, second=0) + timedelta(days=days)
    return moment.isoformat()


def campaign_body(org, **kw) -> dict:
    """A valid HQ-mode campaign over ``live_org``'s region EAST; ``kw`` overrides fields."""
    body = {
        "name": "春季新品直播",
        "mode": "hq",
        "live_at": live_at(),
        "region_ids": [org.east],
        "lineup": [{"product_id": org.products[0], "live_price_fen": 1500_00, "stock_cap": 10}],
    }
    body.update(kw)
    return body


def post_campaign(client, headers, body):
    """``POST /api/v1/campaigns``."""
    return client.post("/api/v1/campaigns", json=body, headers=headers)


def wizard_form(client, org, **kw) -> dict:
    """The campaign wizard's form for ``org`` (a store-mode campaign in 20 days with two
    lineup items), its CSRF token fetched; ``kw`` overrides boxes."""
    token = csrf_token_from(client.get("/admin/live/campaigns/new").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "name": "周年庆店播",
        "mode": "store",
        "live_date": (shanghai_day() + timedelta(days=20)).isoformat(),
        "live_time": "19:30",
        "duration_minutes": "90",
        "description": "",
        "franchisee_ids": [str(org.fa)],
        "store_ids": [str(org.b1)],
        "lineup_product_id": [str(org.products[0]), str(org.products[1])],
        "lineup_live_price": ["1599.50", "4999"],
        "lineup_stock_cap": ["10", "0"],
        "lineup_coupon_template_id": ["", ""],
        "warmup_post_id": "",
        "gate_threshold_pct": "80",
        "gate_requires_link_check": "1",
    }
    form.update(kw)
    return form
