"""Benchmark: bulk assignment of M customers over N stores through the real engine.

Creates a fresh organisation (regions with cities, franchisees, N open stores spread
over China) and M customers held by a suspended "import" franchisee — the backlog an
imported customer base starts as — then times ``assign_backlog`` (the bulk path used by
``flask franchise assign-all`` and the store-closed / guide-left hand-overs, in
``franchise.services.assignment_bulk``): an in-memory grid of stores, then per chunk one
customers UPDATE and one history INSERT — on PostgreSQL COPYed into a staging table and
applied set-based, on SQLite executemany. Prints one JSON line. Setup is not timed.

    python scripts/bench_assignment.py      # 10,000 stores, 1,000,000 customers, SQLite
    python scripts/bench_assignment.py --stores 1000 --customers 20000
    python scripts/bench_assignment.py --database-url postgresql+psycopg://siyu:siyu@127.0.0.1:5432/bench

Repeated PostgreSQL runs can skip the slow setup: build once with ``--setup-only`` into a
template database, then time copies (``createdb -T template run``) with ``--skip-setup``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.bench_baseline import pgbench_load_seconds, verdict  # noqa: E402
from scripts.bench_setup import bench_app  # noqa: E402

REGIONS, CITIES_PER_REGION, STORES_PER_FRANCHISEE = 30, 10, 10
LAT, LNG = (20.0, 45.0), (100.0, 122.0)


def build(app, stores: int, customers: int, seed: int) -> None:
    """Write the organisation and the customer backlog with Core executemany."""
    from sqlalchemy import insert

    from app.clock import utcnow
    from app.extensions import db
    from app.schema_reset import fresh_tables
    from franchise.models import Customer, Franchisee, Region, RegionCity, Store

    rng = random.Random(seed)
    now = utcnow()
    with app.app_context():
        fresh_tables(db.engine)
        s = db.session
        s.execute(
            insert(Region),
            [{"id": r + 1, "code": f"R{r}", "name": f"Region {r}"} for r in range(REGIONS)],
        )
        centres, rows = {}, []
        for r in range(REGIONS):
            for i in range(CITIES_PER_REGION):
                city = f"C{r}-{i}"
                centres[city] = (r + 1, rng.uniform(*LAT), rng.uniform(*LNG))
                rows.append({"region_id": r + 1, "city": city})
        s.execute(insert(RegionCity), rows)
        n_franchisees = max(1, stores // STORES_PER_FRANCHISEE)
        s.execute(
            insert(Franchisee),
            [
                {
                    "id": f + 1,
                    "name": f"F{f}",
                    "region_id": f % REGIONS + 1,
                    "sub_mch_id": f"{1800000000 + f}",
                    "created_at": now,
                }
                for f in range(n_franchisees)
            ]
            + [
                {
                    "id": n_franchisees + 1,
                    "name": "import",
                    "region_id": 1,
                    "sub_mch_id": "1799999999",
                    "status": "suspended",
                    "created_at": now,
                }
            ],
        )
        for r in range(0, min(REGIONS, n_franchisees), 2):  # half have a default franchisee
            s.execute(
                Region.__table__.update()
                .where(Region.id == r + 1)
                .values(default_franchisee_id=r + 1)
            )
        cities = list(centres)
        store_rows = []
        for n in range(stores):
            fid = n % n_franchisees + 1
            region = (fid - 1) % REGIONS + 1
            city = cities[(region - 1) * CITIES_PER_REGION + rng.randrange(CITIES_PER_REGION)]
            _, clat, clng = centres[city]
            store_rows.append(
                {
                    "id": n + 1,
                    "franchisee_id": fid,
                    "region_id": region,
                    "code": f"S{n}",
                    "name": f"Store {n}",
                    "city": city,
                    "latitude": clat + rng.uniform(-0.3, 0.3),
                    "longitude": clng + rng.uniform(-0.3, 0.3),
                    "customer_capacity": rng.choice((500, 1000, 2000)),
                    "created_at": now,
                }
            )
        s.execute(insert(Store), store_rows)
        s.commit()
        holder = n_franchisees + 1
        chunk = []
        for n in range(customers):
            kind = rng.random()
            lat = lng = city = None
            if kind < 0.70:  # around a store, some inside the radius, some outside
                st = store_rows[rng.randrange(stores)]
                lat, lng, city = (
                    st["latitude"] + rng.gauss(0, 0.08),
                    st["longitude"] + rng.gauss(0, 0.08),
                    st["city"],
                )
            elif kind < 0.85:
                city = rng.choice(cities)
            elif kind < 0.95:
                lat, lng = rng.uniform(*LAT), rng.uniform(*LNG)
            chunk.append(
                {
                    "openid": f"bench-{n}",
                    "franchisee_id": holder,
                    "assignment_rule": "manual",
                    "latitude": lat,
                    "longitude": lng,
                    "city": city,
                    "bound_at": now,
                    "created_at": now,
                    "nickname": "",
                    "order_count": 0,
                    "monetary_fen": 0,
                }
            )
            if len(chunk) == 50_000:
                s.execute(insert(Customer), chunk)
                s.commit()
                chunk = []
        if chunk:
            s.execute(insert(Customer), chunk)
            s.commit()


def run(app, chunk: int) -> dict:
    """Time the snapshot and the bulk assignment; check nobody is left behind."""
    from sqlalchemy import func, select

    from app.extensions import db
    from franchise.models import AssignmentHistory, Customer
    from franchise.services.assignment_bulk import assign_backlog, count_backlog
    from franchise.services.assignment_snapshot import MemoryView

    with app.app_context():
        started = time.perf_counter()
        view = MemoryView()
        snapshot_s = time.perf_counter() - started
        changed = assign_backlog(chunk=chunk, view=view)
        total_s = time.perf_counter() - started
        rules = dict(
            db.session.execute(
                select(Customer.assignment_rule, func.count()).group_by(Customer.assignment_rule)
            ).all()
        )
        history = db.session.scalar(select(func.count()).select_from(AssignmentHistory))
        left = count_backlog()
    return {
        "assigned": changed,
        "seconds": round(total_s, 2),
        "snapshot_seconds": round(snapshot_s, 2),
        "customers_per_second": round(changed / total_s) if total_s else None,
        "by_rule": rules,
        "history_rows": history,
        "backlog_left": left,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default=None, help="default: a fresh SQLite file in a temp dir"
    )
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--setup-only", action="store_true", help="build the data set and stop (for a template)"
    )
    parser.add_argument(
        "--skip-setup",
        action="store_true",
        help="time a database already built by --setup-only (e.g. createdb -T a template copy)",
    )
    args = parser.parse_args()
    tmp = None
    url = args.database_url
    if url is None:
        tmp = tempfile.mkdtemp(prefix="siyu-bench-")
        url = f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}"
    app = bench_app(url)
    setup = time.perf_counter()
    if not args.skip_setup:
        build(app, args.stores, args.customers, args.seed)
    setup_s = time.perf_counter() - setup
    if args.setup_only:
        print(json.dumps({"benchmark": "bulk_assignment", "setup_seconds": round(setup_s, 1)}))
        return
    result = run(app, args.chunk)
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    baseline = {}
    if dialect == "postgresql":
        # The same run's baseline: PostgreSQL loading 1,000,000 pgbench rows.
        load_s = pgbench_load_seconds(url, 10)
        baseline = {
            "pgbench_load_1m_rows_seconds": round(load_s, 2),
            "ratio_to_pgbench_load": round(result["seconds"] / load_s, 1) if load_s else None,
        }
    print(
        json.dumps(
            {
                "benchmark": "bulk_assignment",
                "database": dialect,
                "stores": args.stores,
                "customers": args.customers,
                "setup_seconds": round(setup_s, 1),
                **result,
                **baseline,
                "goal_seconds": 30,
                **verdict(
                    args.customers,
                    args.customers - result["backlog_left"] if result["assigned"] else 0,
                    result["seconds"] < 30,
                ),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
