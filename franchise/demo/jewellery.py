"""Demo data of the jewellery area (issue 19): 30 days of metal prices on HQ's board
(today's entered through the service, so by-weight products are priced from it), gold
bracelets and a platinum ring priced by weight, a gold ring in three sizes stocked by
registered pieces with certificates; care kinds and intervals by category; a
consignment taken in and appraised.

``seed_jewellery`` is registered by ``franchise.wiring.jewellery``; idempotent.
"""

from __future__ import annotations

from flask import Flask

# metal: (sell, buy-back) in fen per gram today; the history walks back from it
TODAY = {"gold": (618_00, 565_00), "platinum": (262_00, 205_00), "silver": (7_80, 5_60)}
# sku: (metal, weight mg, labour per gram, labour per piece, purity)
BY_WEIGHT = {
    "AU-BR-001": ("gold", 20_500, 15_00, 0, "足金999"),
    "AU-BR-002": ("gold", 28_800, 18_00, 0, "足金999"),
    "AU-RG-001": ("gold", 3_200, 20_00, 50_00, "足金999"),
    "PT-RG-001": ("platinum", 4_600, 30_00, 200_00, "Pt950"),
}
RING_SIZES = (("12", 3_000), ("14", 3_200), ("16", 3_400))
# category: (care kind, care interval in days): gold polished yearly, K gold re-plated
# every six months, diamonds and platinum cleaned yearly
CARE = {"黄金": ("polishing", 365), "K金": ("replating", 180), "钻石": ("cleaning", 365),
        "铂金": ("cleaning", 365)}  # fmt: skip


def seed_jewellery(app: Flask) -> list[str]:
    """The board's history and today's prices, by-weight products, sizes and pieces."""
    from sqlalchemy import select

    from app.extensions import db
    from franchise.models import ProductPricing

    if db.session.scalar(select(ProductPricing.product_id).limit(1)) is not None:
        return []
    lines = _seed_board()
    lines += _seed_products()
    lines += _seed_care_and_consignment()
    return lines


def _seed_care_and_consignment() -> list[str]:
    """Each product's care kind and interval by category; one consignment taken in and
    appraised at the first store, from its first customer."""
    from sqlalchemy import select

    from app.auth.principal import Principal
    from app.extensions import db
    from franchise.models import Customer, Product
    from franchise.services import consignment

    for product in db.session.scalars(select(Product)):
        if product.category in CARE:
            product.care_kind, product.care_interval_days = CARE[product.category]
    db.session.commit()
    customer = db.session.scalars(
        select(Customer).where(Customer.store_id.is_not(None)).order_by(Customer.id)
    ).first()
    if customer is None:
        return ["jewellery: care kinds by category"]
    hq = Principal(user_id=None, role="hq_admin")
    body = {"customer_id": customer.id, "description": "卡地亚 LOVE 手镯 18K 玫瑰金 17号",
            "appraised_fen": 38_000_00, "appraisal_notes": "九成新，附原盒与证书"}  # fmt: skip
    consignment.take_in(body, hq)
    return ["jewellery: care kinds by category, 1 consignment appraised"]


def _seed_board() -> list[str]:
    from datetime import timedelta

    from app.clock import shanghai_day, shanghai_midnight
    from app.extensions import db
    from franchise.models import MetalPrice
    from franchise.services import metal_prices

    today = shanghai_day()
    for days_ago in range(29, 0, -1):
        day = today - timedelta(days=days_ago)
        for metal, (sell, buyback) in TODAY.items():
            wobble = ((days_ago * 37) % 11 - 5) * sell // 400  # ±1.25 %, repeatable
            db.session.add(
                MetalPrice(
                    metal=metal,
                    day=day,
                    sell_fen_per_gram=sell - wobble,
                    buyback_fen_per_gram=buyback - wobble,
                    note="上海黄金交易所收盘价（演示）",
                    created_at=shanghai_midnight(day) + timedelta(hours=9, minutes=30),
                )
            )
    db.session.commit()
    for metal, (sell, buyback) in TODAY.items():
        metal_prices.record(
            {"metal": metal, "sell_fen_per_gram": sell, "buyback_fen_per_gram": buyback}
        )
    return ["jewellery: 30 days of gold, platinum and silver prices"]


def _seed_products() -> list[str]:
    from sqlalchemy import select

    from app.auth.principal import Principal
    from app.extensions import db
    from franchise.models import Product, Store
    from franchise.services import pieces, pricing

    products = {p.sku: p for p in db.session.scalars(select(Product))}
    done = 0
    for sku, (metal, weight, labour_g, labour_piece, purity) in BY_WEIGHT.items():
        product = products.get(sku)
        if product is None:
            continue
        ring = sku == "AU-RG-001"
        if ring:
            product.stock = 0  # its stock becomes the pieces registered below
            db.session.commit()
        data = {
            "pricing": "by_weight",
            "metal": metal,
            "weight_mg": weight,
            "purity": purity,
            "labour_fen_per_gram": labour_g,
            "labour_fen_per_piece": labour_piece,
            "tracks_pieces": ring,
        }
        pricing.configure(product, data)
        done += 1
        if ring:
            variants = [
                pricing.add_variant(product, {"kind": "ring_size", "label": label, "weight_mg": w})
                for label, w in RING_SIZES
            ]
            stores = db.session.scalars(select(Store).order_by(Store.id).limit(3)).all()
            hq = Principal(user_id=None, role="hq_admin")
            for n in range(12):
                variant, store = variants[n % 3], stores[n % len(stores)]
                pieces.register(
                    {
                        "serial": f"SY-AU-RG-{n + 1:05d}",
                        "product_id": product.id,
                        "variant_id": variant.id,
                        "store_id": store.id,
                        "certificate_no": f"NGTC{20261200 + n}",
                        "certificate_lab": "NGTC",
                        "weight_mg": (variant.weight_mg or weight) + (n * 13) % 60,
                        "purity": purity,
                    },
                    hq,
                )
    return [f"jewellery: {done} products priced by weight, 3 ring sizes, 12 registered pieces"]
