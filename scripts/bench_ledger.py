"""Benchmark: verified pay notify → ledger → available balance, against pgbench.

Builds the real app on the PostgreSQL database given by ``--database-url`` (tables are
created when missing; every run uses fresh franchisee / order numbers), creates one
franchisee (HQ share 10 %) and N unpaid orders, then posts N notifies — signed MD5 the way
the sandbox (and WeChat) signs them — to ``POST /api/v1/pay/notify`` from K threads,
each with its own test client: signature check, sub-merchant and amount checks, the row
lock, the payment, the order, three ledger postings, the profit-share row and its outbox
message, all through the real route and handler.

Per notify it measures the paid-to-available latency: from sending the notify to a
fresh session reading the franchisee's available balance with that payment in it.
In the same run it initialises pgbench (scale 1) in a separate database
``<db>_pgbench`` and runs ``pgbench -c K -j 2 -T 10`` (the default TPC-B-like
transaction); it prints one JSON line with notifies/s, the pgbench tps and their ratio
(goal ≥ 0.3), and the latency percentiles.

``--api v3`` posts APIv3 notifies instead (JSON, the transaction AES-256-GCM encrypted under
the APIv3 key, ``Wechatpay-*`` headers signed RSA-SHA256 by the emulator's platform key),
so the measured path includes the serial and timestamp checks, the RSA signature check
and the decryption. They are signed when built, just before the run: a run must finish
within the 5 minutes a v3 timestamp is good for.

``--processes N`` spreads the K threads over N forked processes, each with its own app
and pool, as gunicorn workers would; they start together (a barrier, after each has
built its app) and the time runs from the first start to the last finish. The engine
options here replace the app's, so ``pool_pre_ping`` (on in production: one extra
round trip per request) is off.

    python scripts/bench_ledger.py --notifies 3000 --threads 8 \
        --database-url postgresql+psycopg://siyu:siyu@127.0.0.1:5432/siyu_bench_ledger
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.bench_baseline import pgbench_tps, verdict  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--notifies", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8, help="K: concurrent notifies")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="spread the K threads over this many processes (as gunicorn workers would)",
    )
    parser.add_argument("--api", choices=("v2", "v3"), default="v2", help="notify format")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--pgbench", default=None, help="path to pgbench (default: PATH or PG 15)")
    return parser.parse_args()


def build(url: str):
    import app as shared_app
    import franchise
    from app.extensions import db

    # the shared house and the franchise domain only: the path measured lives there
    app = shared_app.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
            "SECRET_KEY": "bench-secret-key",
            "SIYU_ENV": "embedded",
            "SANDBOX_TIME_SCALE": 0.0,
            "SANDBOX_STATE_FILE": "",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 32, "max_overflow": 8},
            "LOG_LEVEL": "WARNING",
        }
    )
    franchise.init_app(app)
    with app.app_context():
        db.create_all()
    return app


def seed(app, count: int):
    """One franchisee with a customer and ``count`` created orders with out_trade_nos."""
    from app.extensions import db
    from franchise.models import Customer, Franchisee, Order, Region

    run = secrets.token_hex(3).upper()
    with app.app_context():
        region = Region(code=f"B{run}", name=f"Bench {run}")
        db.session.add(region)
        db.session.flush()
        franchisee = Franchisee(
            name=f"Bench {run}",
            region_id=region.id,
            sub_mch_id=str(1_000_000_000 + secrets.randbelow(10**9)),
            profit_share_bps=1000,
        )
        db.session.add(franchisee)
        db.session.flush()
        customer = Customer(
            openid=f"obench{run}", franchisee_id=franchisee.id, assignment_rule="hq_pool"
        )
        db.session.add(customer)
        db.session.flush()
        orders = []
        for n in range(count):
            amount = 1000 + (n * 7919) % 200000
            no = f"B{run}{n:08d}"
            orders.append((no, amount))
            db.session.add(
                Order(
                    order_no=no,
                    out_trade_no=no,
                    customer_id=customer.id,
                    franchisee_id=franchisee.id,
                    total_fen=amount,
                    payable_fen=amount,
                )
            )
        db.session.commit()
        return franchisee.id, franchisee.sub_mch_id, orders


def notify_body(cfg: dict, sub_mch_id: str, out_trade_no: str, amount: int, n: int) -> bytes:
    """The notify XML as the sandbox sends it (MD5 over PAY_KEY)."""
    from wechatpy.pay.utils import calculate_signature, dict_to_xml

    body = {
        "appid": cfg["PAY_APPID"],
        "mch_id": cfg["PAY_MCH_ID"],
        "sub_appid": cfg["MP_APPID"],
        "sub_mch_id": sub_mch_id,
        "nonce_str": secrets.token_hex(16),
        "result_code": "SUCCESS",
        "return_code": "SUCCESS",
        "openid": "oSBXspopenid",
        "sub_openid": "obench",
        "is_subscribe": "N",
        "trade_type": "JSAPI",
        "bank_type": "OTHERS",
        "total_fee": amount,
        "cash_fee": amount,
        "fee_type": "CNY",
        "transaction_id": f"4200{time.strftime('%Y%m%d')}{n:08d}{secrets.token_hex(4)}",
        "out_trade_no": out_trade_no,
        "time_end": time.strftime("%Y%m%d%H%M%S"),
    }
    return dict_to_xml(body, calculate_signature(body, cfg["PAY_KEY"])).encode()


def notify_request(
    cfg: dict, api: str, sub_mch_id: str, out_trade_no: str, amount: int, n: int
) -> tuple[bytes, dict]:
    """(body, headers) of one notify: v2 XML (MD5), or v3 JSON as the emulator sends it."""
    if api == "v2":
        return notify_body(cfg, sub_mch_id, out_trade_no, amount, n), {
            "Content-Type": "application/xml"
        }
    from types import SimpleNamespace

    from app.wechat.sandbox.pay_v3_auth import notify_envelope, signed_headers

    sandbox = SimpleNamespace(config=cfg)
    resource = {
        "sp_appid": cfg["PAY_APPID"],
        "sp_mchid": cfg["PAY_MCH_ID"],
        "sub_appid": cfg["MP_APPID"],
        "sub_mchid": sub_mch_id,
        "out_trade_no": out_trade_no,
        "transaction_id": f"4200{time.strftime('%Y%m%d')}{n:08d}{secrets.token_hex(4)}",
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "success_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "payer": {"sub_openid": "obench"},
        "amount": {"total": amount, "payer_total": amount, "currency": "CNY"},
    }
    body = notify_envelope(
        "TRANSACTION.SUCCESS", "支付成功", "transaction", resource, time.time(), sandbox
    )
    headers = signed_headers(body, st=sandbox) | {"Content-Type": "application/json"}
    return body.encode(), headers


LATENCY_EVERY = 10


def drive(app, franchisee_id: int, bodies: list, threads: int, gate=None) -> dict:
    """Post every body once from ``threads`` threads. Every LATENCY_EVERY-th notify also
    measures send → available balance read by a fresh session (the others count
    ``sent → answered``, which is when the payment is committed). ``gate`` (a
    multiprocessing barrier) holds the start until every worker process is ready."""
    from app.extensions import db
    from franchise.services import ledger

    queue = list(enumerate(bodies))
    lock = threading.Lock()
    latencies: list[float] = []
    visible: list[float] = []
    failures: list[str] = []
    barrier = threading.Barrier(threads)

    def worker():
        client = app.test_client()
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    return
                n, (body, headers) = queue.pop()
            started = time.perf_counter()
            res = client.post("/api/v1/pay/notify", data=body, headers=headers)
            if res.status_code != 204 and b"SUCCESS" not in res.data:  # v3 / v2
                with lock:
                    failures.append(res.get_data(as_text=True)[:200])
                continue
            answered = time.perf_counter() - started
            if n % LATENCY_EVERY == 0:
                with app.app_context():  # a fresh session sees the committed payment
                    ledger.available_balance(franchisee_id)
                    db.session.remove()
                with lock:
                    visible.append(time.perf_counter() - started)
            with lock:
                latencies.append(answered)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    if gate is not None:
        gate.wait()
    started = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    finished = time.perf_counter()
    return {
        "elapsed": finished - started,
        "started": started,
        "finished": finished,
        "latencies": latencies,
        "visible": visible,
        "failures": failures,
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _child(url: str, franchisee_id: int, bodies: list, threads: int, out, gate) -> None:
    """One worker process: its own app and connections, ``threads`` threads; starts
    when every process has built its app (``gate``)."""
    app = build(url)
    result = drive(app, franchisee_id, bodies, threads, gate)
    keys = ("elapsed", "started", "finished", "latencies", "visible")
    out.put({k: result[k] for k in keys} | {"failed": len(result["failures"])})


def run_processes(url, franchisee_id, bodies, threads, processes) -> dict:
    """Split the bodies over ``processes`` forked workers released together; the time is
    from the first worker's start to the last worker's finish."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    out = ctx.Queue()
    gate = ctx.Barrier(processes)
    per = max(1, threads // processes)
    chunks = [bodies[i::processes] for i in range(processes)]
    workers = [
        ctx.Process(target=_child, args=(url, franchisee_id, chunk, per, out, gate))
        for chunk in chunks
    ]
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    for w in workers:
        w.join()
    return {
        "elapsed": max(r["finished"] for r in results) - min(r["started"] for r in results),
        "latencies": [x for r in results for x in r["latencies"]],
        "visible": [x for r in results for x in r["visible"]],
        "failures": ["x"] * sum(r["failed"] for r in results),
    }


def main() -> None:
    args = parse_args()
    app = build(args.database_url)
    franchisee_id, sub_mch_id, orders = seed(app, args.notifies)
    cfg = app.config
    bodies = [
        notify_request(cfg, args.api, sub_mch_id, no, amount, n)
        for n, (no, amount) in enumerate(orders)
    ]
    # warm up: pools, accounts, caches, the v3 client (one notify, not counted)
    warm_fid, warm_mch, warm = seed(app, 1)
    drive(app, warm_fid, [notify_request(cfg, args.api, warm_mch, warm[0][0], warm[0][1], 0)], 1)
    if args.processes > 1:
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()  # no connection crosses the fork
        result = run_processes(
            args.database_url, franchisee_id, bodies, args.threads, args.processes
        )
    else:
        result = drive(app, franchisee_id, bodies, args.threads)
    from app.extensions import db
    from franchise.services import ledger

    with app.app_context():
        available = ledger.available_balance(franchisee_id)
        unbalanced = ledger.unbalanced_transactions()
        db.session.remove()
    expected = sum(
        amount - ledger_fee(app, amount) - amount * 1000 // 10000 for _, amount in orders
    )
    tps = pgbench_tps(args.database_url, args.threads, args.pgbench_seconds, args.pgbench)
    rate = len(result["latencies"]) / result["elapsed"]
    lat = [x * 1000 for x in result["visible"]]
    answered = [x * 1000 for x in result["latencies"]]
    print(
        json.dumps(
            {
                "benchmark": "notify_to_ledger" if args.api == "v2" else "notify_v3_to_ledger",
                "api": args.api,
                "notifies": len(bodies),
                "threads": args.threads,
                "processes": args.processes,
                "cpus": os.cpu_count(),
                "succeeded": len(result["latencies"]),
                "failed": len(result["failures"]),
                "seconds": round(result["elapsed"], 3),
                "notifies_per_s": round(rate, 1),
                "pgbench_tps": round(tps, 1),
                "ratio_to_pgbench": round(rate / tps, 3) if tps else None,
                "goal_ratio": 0.3,
                "paid_to_available_ms": {
                    "p50": round(statistics.median(lat), 2) if lat else None,
                    "p99": round(percentile(lat, 0.99), 2),
                    "max": round(max(lat), 2) if lat else None,
                },
                "notify_answered_ms": {
                    "p50": round(statistics.median(answered), 2) if answered else None,
                    "p99": round(percentile(answered, 0.99), 2),
                },
                "balance_ok": available == expected and not unbalanced,
                **verdict(
                    len(bodies),
                    len(result["latencies"]),
                    bool(tps) and rate / tps >= 0.3 and available == expected and not unbalanced,
                ),
            }
        )
    )


def ledger_fee(app, amount: int) -> int:
    from franchise.services import ledger

    with app.app_context():
        return ledger.wechat_fee(amount)


if __name__ == "__main__":
    main()
