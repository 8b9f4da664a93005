"""The first minute of a live: customers arriving through guides' share codes, logging in
(the mini-program login, through the sandbox), opening the live (a visit) and ordering
one unit of a capped line-up product, against gunicorn on PostgreSQL + Redis in
production mode (the topology of ``scripts/bench_http.py``).

Customers arrive at a fixed rate (``--customers`` over ``--seconds``), each taking at most
one of 64 keep-alive connections per request; latency runs from the customer's intended
arrival (open loop: a slow server cannot slow the arrivals). Customers not finished
``--grace`` seconds after the last arrival are counted as not served. Afterwards the
database is checked: no line-up item sold beyond its cap, the ``sold`` counters equal the
units of the campaign's open orders, no product stock below zero, and every order
placed carries the campaign, the customer's share code and that code's guide.

    python scripts/bench_live_surge.py --database-url postgresql+psycopg://... \
        --redis-url redis://127.0.0.1:6399/5 [--quick]
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_http import (  # noqa: E402
    BENCH_PASSWORD,
    _gunicorn,
    _post_json,
    _stop,
    _wait_http,
    app_bench_parser,
    migrate_sandbox_seed,
    production_env,
)
from scripts.bench_openloop import FAILURES, Pool, summary  # noqa: E402

STORES = "/api/v1/mp/stores?latitude=31.2297&longitude=121.4552"


@contextmanager
def _connection(database_url: str, write: bool = False):
    """A connection of a throwaway engine (in a committed transaction when ``write``)."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        with engine.begin() if write else engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def prepare_campaign(database_url: str, cap: int) -> dict:
    """The demo's live HQ campaign: each line-up item capped at ``cap`` more units, its
    products stocked well beyond the caps. Returns the campaign id and line-up."""
    from sqlalchemy import text

    with _connection(database_url, write=True) as conn:
        campaign_id = conn.execute(
            text(
                "SELECT id FROM live_campaigns WHERE status = 'live' AND mode = 'hq'"
                " ORDER BY id LIMIT 1"
            )
        ).scalar_one()
        conn.execute(
            text("UPDATE live_lineup_items SET stock_cap = sold + :cap WHERE campaign_id = :c"),
            {"cap": cap, "c": campaign_id},
        )
        conn.execute(
            text(
                "UPDATE products SET stock = 1000000 WHERE id IN"
                " (SELECT product_id FROM live_lineup_items WHERE campaign_id = :c)"
            ),
            {"c": campaign_id},
        )
        products = list(
            conn.execute(
                text("SELECT product_id FROM live_lineup_items WHERE campaign_id = :c"),
                {"c": campaign_id},
            ).scalars()
        )
    return {"campaign_id": campaign_id, "products": products}


def share_codes(base: str, campaign_id: int, guides: int) -> list[str]:
    """The share codes of the demo guides whose stores take part (others answer 404)."""
    codes = []
    for number in range(1, guides + 1):
        token = _post_json(
            base + "/api/v1/auth/token",
            {"username": f"guide{number:02d}", "password": BENCH_PASSWORD},
        )["access_token"]
        request = urllib.request.Request(
            f"{base}/api/v1/me/campaigns/{campaign_id}/share",
            headers={"Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                codes.append(json.loads(response.read())["code"])
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise
    if not codes:
        raise RuntimeError("no guide has a share code for the campaign")
    return codes


async def surge(base: str, campaign: dict, codes: list[str], args) -> dict:
    """Run the arrivals; returns the figures and the orders placed (id → share code)."""
    pool = Pool(base)
    rng = random.Random(args.seed)
    rate = args.customers / args.seconds
    json_type = {"Content-Type": "application/json"}
    steps: dict[str, list[float]] = {"login": [], "visit": [], "order": []}
    customer_ms: list[float] = []
    orders: dict[int, str] = {}
    outcome = {"ordered": 0, "sold_out": 0, "failed": 0, "errors": {}}

    async def timed(step: str, method: str, path: str, headers: dict, body: dict):
        started = time.perf_counter()
        status, raw = await pool.request(method, path, headers, json.dumps(body).encode())
        steps[step].append((time.perf_counter() - started) * 1000)
        return status, raw

    async def customer(n: int, intended: float, code: str, product_id: int) -> None:
        try:
            status, raw = await timed(
                "login",
                "POST",
                "/api/v1/mp/session",
                json_type,
                {"code": f"code-surge-{args.seed}-{n}", "share_code": code},
            )
            if status != 200:
                raise ValueError(f"login {status}")
            auth = {**json_type, "Authorization": f"Bearer {json.loads(raw)['token']}"}
            path = f"/api/v1/mp/campaigns/{campaign['campaign_id']}/visits"
            status, _ = await timed("visit", "POST", path, auth, {"share_code": code})
            if status not in (200, 201):
                raise ValueError(f"visit {status}")
            body = {
                "items": [{"product_id": product_id, "quantity": 1}],
                "campaign_id": campaign["campaign_id"],
                "share_code": code,
            }
            status, raw = await timed("order", "POST", "/api/v1/mp/orders", auth, body)
            if status == 201:
                outcome["ordered"] += 1
                orders[json.loads(raw)["id"]] = code
            elif status == 422 and set(json.loads(raw).get("errors", {})) == {"items"}:
                outcome["sold_out"] += 1  # "only N left at the live price": the cap held
            else:
                raise ValueError(f"order {status} {raw[:120]!r}")
            customer_ms.append((time.perf_counter() - intended) * 1000)
        except FAILURES as exc:
            outcome["failed"] += 1
            key = str(exc)[:60]
            outcome["errors"][key] = outcome["errors"].get(key, 0) + 1

    start = time.perf_counter() + 0.1
    tasks = []
    for n in range(args.customers):
        intended = start + n / rate
        delay = intended - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        code, product = rng.choice(codes), rng.choice(campaign["products"])
        tasks.append(asyncio.create_task(customer(n, intended, code, product)))
    done, pending = await asyncio.wait(tasks, timeout=args.grace)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - start
    pool.close()
    return {
        "customers": args.customers,
        "arrival_rate": round(rate, 1),
        "elapsed_s": round(elapsed, 1),
        "not_served": len(pending),
        **outcome,
        "orders_per_second": round(outcome["ordered"] / elapsed, 1),
        "customer_ms_from_arrival": summary(customer_ms),
        "step_ms": {step: summary(values) for step, values in steps.items()},
        "_orders": orders,
    }


def check(database_url: str, campaign_id: int, orders: dict[int, str]) -> dict:
    """No oversold unit, counters that agree with the orders, every order attributed."""
    from sqlalchemy import text

    with _connection(database_url) as conn:
        items = conn.execute(
            text(
                "SELECT i.product_id, i.stock_cap, i.sold, p.stock, COALESCE((SELECT"
                " SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id"
                " WHERE o.campaign_id = i.campaign_id AND l.product_id = i.product_id"
                " AND o.status NOT IN ('cancelled', 'closed')), 0)"
                " FROM live_lineup_items i JOIN products p ON p.id = i.product_id"
                " WHERE i.campaign_id = :c"
            ),
            {"c": campaign_id},
        ).all()
        placed = conn.execute(
            text(
                "SELECT o.id, o.campaign_id, o.share_code, o.guide_id = s.guide_id"
                " FROM orders o LEFT JOIN share_codes s ON s.code = o.share_code"
                " WHERE o.id = ANY(:ids)"
            ),
            {"ids": list(orders)},
        ).all()
    unattributed = [
        row[0] for row in placed if row[1] != campaign_id or row[2] != orders[row[0]] or not row[3]
    ]
    return {
        "lineup": [
            {"product_id": p, "cap": cap, "sold": sold, "stock": stock, "open_units": units}
            for p, cap, sold, stock, units in items
        ],
        "oversold_units": sum(max(0, sold - cap) for _, cap, sold, _, _ in items if cap),
        "counters_agree": all(sold == units for _, _, sold, _, units in items),
        "negative_stock": sum(1 for _, _, _, stock, _ in items if stock < 0),
        "orders_found": len(placed),
        "unattributed_orders": len(unattributed) + len(orders) - len(placed),
    }


def main() -> int:
    parser = app_bench_parser(__doc__, port=5690)
    parser.add_argument("--quick", action="store_true", help="1,000 customers over 10 s")
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--grace", type=float, default=45, help="after the last arrival")
    parser.add_argument("--cap", type=int, default=0, help="units per item (0: a tenth)")
    parser.add_argument("--guides", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    if args.quick:
        args.customers, args.seconds, args.grace = 1000, 10.0, 30.0
    (ROOT / "bench-results").mkdir(exist_ok=True)
    env = production_env(args.database_url, args.redis_url, args.port)
    sandbox = migrate_sandbox_seed(env, args.port + 2)
    siyu = None
    try:
        campaign = prepare_campaign(args.database_url, args.cap or args.customers // 10)
        siyu = _gunicorn("wsgi:build_app()", args.port, args.workers, args.threads, env)
        base = f"http://127.0.0.1:{args.port}"
        _wait_http(base + STORES)
        codes = share_codes(base, campaign["campaign_id"], args.guides)
        result = asyncio.run(surge(base, campaign, codes, args))
    finally:
        if siyu is not None:
            _stop(siyu)
        _stop(sandbox)
    orders = result.pop("_orders")
    result["checks"] = check(args.database_url, campaign["campaign_id"], orders)
    result["share_codes"] = len(codes)
    result["machine"] = f"{os.cpu_count()} cores"
    result["date"] = time.strftime("%Y-%m-%d")
    result["gunicorn"] = f"-w {args.workers} -k gthread --threads {args.threads}"
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
