"""A jewellery order paid in the production topology reaches the ledger.

Real processes, as ``scripts/prod-local`` runs them: gunicorn serving the app in
production mode on PostgreSQL + Redis, and the WeChat emulator as its own process
(never mounted in the web app). A ¥26,800 order (above the ¥21,474.83 that once
overflowed HQ's share in 32-bit arithmetic) is paid: the app makes the unified order
at the emulator, the customer pays there, the emulator posts the signed notify to the
app over HTTP, and the payment, its ledger postings and HQ's share appear, balanced.
The time from "the customer paid" to "the ledger has it" is printed, not asserted
(figures belong in docs/BENCHMARKS.md).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from franchise.models import LedgerTransaction, Order, Payment
from franchise.services import ledger
from tests.fixtures.processes import flask_env, free_port, kill, wait_until
from tests.franchise.factories import gen_franchisee, gen_region, gen_store
from tests.franchise.factories_payments import customer_headers, gen_customer, gen_order

PRICE_FEN = 2_680_000  # ¥26,800.00
SHARE_BPS = 1200  # 12 %: 2,680,000 × 1,200 passes 2**31 as well


def _spawn(args: list[str], env: dict, log: Path):
    import subprocess

    return subprocess.Popen(
        args,
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status < 500
    except Exception:  # noqa: BLE001 - not up yet
        return False


def _post(url: str, headers: dict | None = None) -> dict:
    request = urllib.request.Request(url, data=b"{}", method="POST")
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


def test_a_26800_yuan_order_paid_through_the_emulator_is_in_the_ledger(app, tmp_path):
    with app.app_context():
        region = gen_region(code="E2E", name="华东", cities=("上海",))
        franchisee = gen_franchisee(region, profit_share_bps=SHARE_BPS)
        gen_store(franchisee, code="E2E-1", city="上海")
        customer = gen_customer(franchisee.id)
        order = gen_order(customer, PRICE_FEN)
        order_id, customer_id = order.id, customer.id
        headers = customer_headers(customer_id)

    web_port, sandbox_port = free_port(), free_port()
    bin_dir = Path(sys.executable).parent
    env = flask_env(
        SIYU_SECRET_KEY=app.config["SECRET_KEY"],
        SIYU_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
        SIYU_APP_URL=f"http://127.0.0.1:{web_port}",
        SIYU_PAY_NOTIFY_URL=f"http://127.0.0.1:{web_port}/api/v1/pay/notify",
        SIYU_SANDBOX_STATE_FILE=tmp_path / "sandbox-state.json",
    )
    sandbox = _spawn(
        [
            str(bin_dir / "flask"),
            "sandbox",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(sandbox_port),
        ],
        env,
        tmp_path / "sandbox.log",
    )
    web = _spawn(
        [
            str(bin_dir / "gunicorn"),
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{web_port}",
            "wsgi:build_app()",
        ],
        env,
        tmp_path / "web.log",
    )
    try:
        sandbox_base = f"http://127.0.0.1:{sandbox_port}"
        web_base = f"http://127.0.0.1:{web_port}"
        assert wait_until(lambda: _up(f"{sandbox_base}/_sandbox/control/state"), 30), (
            tmp_path / "sandbox.log"
        ).read_text()[-2000:]
        assert wait_until(lambda: _up(f"{web_base}/admin/login"), 30), (
            tmp_path / "web.log"
        ).read_text()[-2000:]
        # the production web app never mounts the emulator's control endpoints
        assert not _up(f"{web_base}/_sandbox/control/state")

        answer = _post(f"{web_base}/api/v1/mp/orders/{order_id}/pay", headers)
        out_trade_no = answer["out_trade_no"]
        paid_at = time.perf_counter()
        _post(f"{sandbox_base}/_sandbox/pay/{out_trade_no}/succeed")

        def in_ledger() -> bool:
            with app.app_context():
                db.session.remove()
                return (
                    db.session.scalar(
                        select(func.count())
                        .select_from(Payment)
                        .where(Payment.order_id == order_id)
                    )
                    == 1
                )

        assert wait_until(in_ledger, 15, interval=0.02), (tmp_path / "web.log").read_text()[-3000:]
        print(
            f"\n¥26,800 order: paid at the emulator → in the ledger in "
            f"{(time.perf_counter() - paid_at) * 1000:.0f} ms"
        )
        with app.app_context():
            db.session.remove()
            order = db.session.get(Order, order_id)
            assert order.status == "paid"
            payment = db.session.scalars(select(Payment).where(Payment.order_id == order_id)).one()
            assert payment.amount_fen == PRICE_FEN
            postings = {
                tx.kind: tx.amount_fen
                for tx in db.session.scalars(
                    select(LedgerTransaction).where(LedgerTransaction.order_id == order_id)
                )
            }
            assert postings["payment"] == PRICE_FEN
            assert postings["hq_share"] == PRICE_FEN * SHARE_BPS // 10_000  # ¥3,216.00
            assert ledger.unbalanced_transactions() == []
    finally:
        kill(web)
        kill(sandbox)
