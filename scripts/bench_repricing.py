"""Benchmark: repricing N by-weight SKUs after a gold price change, on PostgreSQL.

Builds the real app on the database given by ``--database-url`` (tables are created when
missing), loads N by-weight gold products (weights 1–50 g, labour per gram and per
piece varying; every tenth with two ring-size variants) in bulk, then enters a new gold
price through the real service, ``metal_prices.record``: one transaction that writes the
board entry and rewrites every product's and variant's list price (one ``UPDATE …
FROM`` per table). It measures that call to its commit, and as a baseline from the same
run a bare ``UPDATE`` of the same rows (``bare_update``: the cost of writing them at
all); checks every product's new price against ``pricing.unit_price`` (a run whose
prices are wrong never reports its goal met), and prints one JSON line (goal: 100,000
SKUs in under 10 s). ``--skus`` is the size knob (10,000 to check it works).

    python scripts/bench_repricing.py --skus 100000 \\
        --database-url postgresql+psycopg://siyu:siyu@127.0.0.1:5432/siyu_bench_repricing
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.bench_ledger import build  # noqa: E402 - the franchise app on PostgreSQL

GOAL_SECONDS = 10.0
BATCH = 5000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--skus", type=int, default=100_000)
    return parser.parse_args()


def shape(n: int) -> tuple[int, int, int]:
    """The n-th SKU's (weight_mg, labour per gram, labour per piece): spread, repeatable."""
    return 1_000 + (n * 7_919) % 49_000, (n * 31) % 3_000, (n * 97) % 20_000


def load(skus: int, run: str) -> list[int]:
    """Insert ``skus`` by-weight gold products (and variants for every tenth) in bulk."""
    from sqlalchemy import insert

    from app.clock import utcnow
    from app.extensions import db
    from franchise.models import Product, ProductPricing, ProductVariant

    now, ids = utcnow(), []
    for start in range(0, skus, BATCH):
        count = min(BATCH, skus - start)
        rows = [
            {
                "sku": f"BW{run}-{start + i}",
                "name": f"足金手镯 {start + i}",
                "category": "黄金",
                "price_fen": 0,
                "stock": 1,
                "description": "",
                "image_url": "",
                "is_active": True,
                "created_at": now,
            }
            for i in range(count)
        ]
        new = db.session.execute(insert(Product).returning(Product.id), rows).scalars().all()
        db.session.execute(
            insert(ProductPricing),
            [
                {
                    "product_id": pid,
                    "pricing": "by_weight",
                    "metal": "gold",
                    "weight_mg": shape(start + i)[0],
                    "purity": "足金999",
                    "labour_fen_per_gram": shape(start + i)[1],
                    "labour_fen_per_piece": shape(start + i)[2],
                    "tracks_pieces": False,
                    "updated_at": now,
                }
                for i, pid in enumerate(new)
            ],
        )
        variants = [
            {
                "product_id": pid,
                "kind": "ring_size",
                "label": label,
                "weight_mg": shape(start + i)[0] + extra,
                "price_fen": 0,
                "is_active": True,
                "created_at": now,
            }
            for i, pid in enumerate(new)
            if (start + i) % 10 == 0
            for label, extra in (("12", 0), ("16", 400))
        ]
        if variants:
            db.session.execute(insert(ProductVariant), variants)
        db.session.commit()
        ids.extend(new)
    return ids


def bare_update() -> float:
    """The floor, measured in the same run on the same rows: a bare ``UPDATE`` that
    rewrites the price of every by-weight gold product and variant (``+ 1``, no board
    entry, no formula), committed; seconds."""
    from sqlalchemy import text

    from app.extensions import db

    of_gold = (
        "SELECT product_id FROM product_pricing WHERE pricing = 'by_weight' AND metal = 'gold'"
    )
    t0 = time.perf_counter()
    for table in ("products", "product_variants"):
        key = "id" if table == "products" else "product_id"
        db.session.execute(
            text(f"UPDATE {table} SET price_fen = price_fen + 1 WHERE {key} IN ({of_gold})")
        )
    db.session.commit()
    return time.perf_counter() - t0


def main() -> int:
    args = parse_args()
    app = build(args.database_url)
    from sqlalchemy import select

    from app.extensions import db
    from franchise.models import Product
    from franchise.services import metal_prices
    from franchise.services.pricing import unit_price

    run = str(int(time.time()))
    with app.app_context():
        started = time.perf_counter()
        ids = load(args.skus, run)
        loaded = time.perf_counter() - started
        metal_prices.record(
            {"metal": "gold", "sell_fen_per_gram": 600_00, "buyback_fen_per_gram": 550_00}
        )
        baseline = bare_update()
        t0 = time.perf_counter()
        _entry, repriced = metal_prices.record(
            {"metal": "gold", "sell_fen_per_gram": 618_50, "buyback_fen_per_gram": 566_00}
        )
        seconds = time.perf_counter() - t0
        prices: dict[int, int] = {}
        for start in range(0, len(ids), 10_000):  # PostgreSQL takes at most 65,535 parameters
            chunk = ids[start : start + 10_000]
            rows = db.session.execute(
                select(Product.id, Product.price_fen).where(Product.id.in_(chunk))
            )
            prices.update({row[0]: row[1] for row in rows.all()})
        wrong = sum(
            1
            for n, pid in enumerate(ids)
            if prices[pid] != unit_price(shape(n)[0], 618_50, shape(n)[1], shape(n)[2])
        )
    ok = wrong == 0 and repriced >= args.skus
    result = {
        "benchmark": "repricing",
        "skus": args.skus,
        "repriced": repriced,
        "wrong_prices": wrong,
        "load_seconds": round(loaded, 2),
        "reprice_seconds": round(seconds, 3),
        "baseline_seconds": round(baseline, 3),
        "over_baseline": round(seconds / baseline, 2) if baseline else None,
        "skus_per_second": round(repriced / seconds) if seconds else None,
        "goal": f"{args.skus} SKUs < {GOAL_SECONDS:.0f} s",
        "goal_met": ok and seconds < GOAL_SECONDS,
    }
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
