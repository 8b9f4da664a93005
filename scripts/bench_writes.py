"""What the write benchmarks send, prepared before they run (``scripts/bench_http.py``,
``scripts/bench_cost.py``): a customer's token and order bodies, signed pay notifies for
orders waiting for payment, paid orders to refund, and products to spread orders over.

Every pool is split in two halves: the first for wrk's run at fixed concurrency, the
second for the open-loop run (``scripts/bench_openloop.py``), so each request of either
is a first request for its object (a first delivery of a notify, a first refund of an
order), never a repeat answered from what an earlier one left.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
REFUND_FEN = 100  # each pooled order is paid 1 yuan and refunded whole, once
SPREAD_PRODUCTS = 200  # order create spread: one stock row of 200 per request
SPREAD_SKU = "BENCH-SPREAD-"


def _notify_lines(count: int, sub_mch_id: str) -> list[str]:
    """Signed v2 notify bodies (XML, one line each) for the orders ``BN000000000001`` …"""
    from app.config import SANDBOX_DEFAULTS
    from app.wechat.pay import sign_md5

    lines = []
    for n in range(1, count + 1):
        body = {
            "appid": SANDBOX_DEFAULTS["PAY_APPID"],
            "mch_id": SANDBOX_DEFAULTS["PAY_MCH_ID"],
            "sub_mch_id": sub_mch_id,
            "nonce_str": f"bench{n}",
            "result_code": "SUCCESS",
            "return_code": "SUCCESS",
            "trade_type": "JSAPI",
            "time_end": "20261126120000",
            "out_trade_no": f"BN{n:012d}",
            "transaction_id": f"4200000000BENCH{n:013d}",
            "total_fee": "100",
            "cash_fee": "100",
            "openid": "bench",
        }
        body["sign"] = sign_md5(body, SANDBOX_DEFAULTS["PAY_KEY"])
        lines.append("<xml>" + "".join(f"<{k}>{v}</{k}>" for k, v in body.items()) + "</xml>")
    return lines


# Orders paid 1 yuan each (status paid, the payment row a notify writes), for refunds.
_PAID_ORDERS = """
WITH o AS (
  INSERT INTO orders (order_no, customer_id, franchisee_id, status, fulfilment, total_fen,
      discount_fen, payable_fen, paid_fen, refunded_fen, out_trade_no, transaction_id,
      paid_at, created_at, updated_at)
  SELECT 'BR' || lpad(g::text, 12, '0'), :c, :f, 'paid', 'pickup', :fen, 0, :fen, :fen, 0,
      'BR' || lpad(g::text, 12, '0'), '4200000000REFUND' || lpad(g::text, 13, '0'),
      now(), now(), now()
  FROM generate_series(1, :n) AS g
  RETURNING id, out_trade_no, transaction_id
)
INSERT INTO payments (order_id, franchisee_id, sub_mch_id, out_trade_no, transaction_id,
    amount_fen, fee_fen, source, paid_at, business_date, created_at)
SELECT o.id, :f, :sub, o.out_trade_no, o.transaction_id, :fen, 0, 'notify', now(),
    (now() AT TIME ZONE 'Asia/Shanghai')::date, now()
FROM o RETURNING order_id
"""


def prepare_writes(database_url: str, post_json, notifies: int) -> dict:
    """A customer token and a product for order creation and ``2 * notifies`` unpaid
    orders with signed notify bodies: the first half in a file (one per line) for wrk,
    the second half (``openloop_notify_bodies``) for the open-loop run.
    ``post_json(path, body)`` posts to Siyu (over HTTP, or through a test client)."""
    from sqlalchemy import create_engine, text

    session = post_json(
        "/api/v1/mp/session",
        {"code": "code-bench-setup", "latitude": 31.2297, "longitude": 121.4552},
    )
    customer = session["customer"]
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE products SET stock = 1000000000 WHERE is_active"))
        product_id = conn.execute(
            text("SELECT id FROM products WHERE is_active ORDER BY id LIMIT 1")
        ).scalar()
        # the demo's HQ campaign on air: caps raised so every order fits, but still checked
        live = conn.execute(
            text(
                "SELECT c.id, i.product_id FROM live_campaigns c JOIN live_lineup_items i"
                " ON i.campaign_id = c.id WHERE c.status = 'live' AND c.mode = 'hq'"
                " ORDER BY c.id, i.id LIMIT 1"
            )
        ).first()
        conn.execute(text("UPDATE live_lineup_items SET stock_cap = 1000000000"))
        sub_mch_id = conn.execute(
            text("SELECT sub_mch_id FROM franchisees WHERE id = :f"),
            {"f": customer["franchisee_id"]},
        ).scalar()
        conn.execute(
            text(
                "INSERT INTO orders (order_no, customer_id, franchisee_id, status, fulfilment,"
                " total_fen, discount_fen, payable_fen, paid_fen, refunded_fen, out_trade_no,"
                " created_at, updated_at) SELECT 'BN' || lpad(g::text, 12, '0'), :c, :f,"
                " 'created', 'pickup', 100, 0, 100, 0, 0, 'BN' || lpad(g::text, 12, '0'),"
                " now(), now() FROM generate_series(1, :n) AS g"
            ),
            {"c": customer["id"], "f": customer["franchisee_id"], "n": 2 * notifies},
        )
    engine.dispose()
    lines = _notify_lines(2 * notifies, sub_mch_id)
    RESULTS.mkdir(exist_ok=True)
    notify_file = RESULTS / "notifies.txt"
    notify_file.write_text("\n".join(lines[:notifies]) + "\n")
    return {
        "token": session["token"],
        "customer": {**customer, "sub_mch_id": sub_mch_id},
        "order_body": json.dumps({"items": [{"product_id": product_id, "quantity": 1}]}),
        "live_order_body": json.dumps(
            {"items": [{"product_id": live[1], "quantity": 1}], "campaign_id": live[0]}
        ),
        "notify_file": str(notify_file),
        "notify_bodies": lines[:notifies],
        "openloop_notify_bodies": lines[notifies:],
    }


def refund_pool(database_url: str, writes: dict, refunds: int) -> None:
    """``2 * refunds`` orders of ``writes``' customer paid 1 yuan each (``_PAID_ORDERS``):
    the first half as lines ``/api/v1/orders/<id>/refunds<TAB>body`` in a file for wrk
    (``writes["refund_file"]``), the second half's ids for the open loop. Made just
    before the refund scenario, so the pages read earlier do not scan its rows."""
    from sqlalchemy import create_engine, text

    customer = writes["customer"]
    engine = create_engine(database_url)
    with engine.begin() as conn:
        paid = conn.execute(
            text(_PAID_ORDERS),
            {
                "c": customer["id"],
                "f": customer["franchisee_id"],
                "sub": customer["sub_mch_id"],
                "n": 2 * refunds,
                "fen": REFUND_FEN,
            },
        ).scalars()
        refund_ids = sorted(paid)
    engine.dispose()
    body = json.dumps({"amount_fen": REFUND_FEN, "reason": "bench"})
    refund_file = RESULTS / "refunds.txt"
    refund_file.write_text(
        "".join(f"/api/v1/orders/{i}/refunds\t{body}\n" for i in refund_ids[:refunds])
    )
    writes.update(
        refund_file=str(refund_file),
        refund_body=body,
        openloop_refund_ids=refund_ids[refunds:],
    )


# Copies of a product (its by-weight pricing too), so an order of one is the same work.
_SPREAD = """
WITH p AS (
  INSERT INTO products (sku, name, category, price_fen, stock, care_interval_days,
      care_kind, description, image_url, is_active, created_at)
  SELECT :sku || lpad(g::text, 3, '0'), name, category, price_fen, 1000000000,
      care_interval_days, care_kind, description, image_url, true, now()
  FROM products, generate_series(1, :n) AS g WHERE id = :id
  RETURNING id, sku
), x AS (
  INSERT INTO product_pricing (product_id, pricing, metal, weight_mg, purity,
      labour_fen_per_gram, labour_fen_per_piece, tracks_pieces, updated_at)
  SELECT p.id, q.pricing, q.metal, q.weight_mg, q.purity, q.labour_fen_per_gram,
      q.labour_fen_per_piece, q.tracks_pieces, now()
  FROM p, product_pricing q WHERE q.product_id = :id
)
SELECT id FROM p ORDER BY sku
"""


def spread_order_file(database_url: str, order_body: str, count: int = SPREAD_PRODUCTS) -> str:
    """Order bodies over ``count`` products (the first copied ``count - 1`` times, with
    its pricing), one per line in a file for wrk; returns the file's path. Made just
    before the scenario runs, so the product list read earlier is the demo's."""
    from sqlalchemy import create_engine, text

    (line,) = json.loads(order_body)["items"]
    engine = create_engine(database_url)
    with engine.begin() as conn:
        made = (
            conn.execute(
                text("SELECT id FROM products WHERE sku LIKE :sku || '%' ORDER BY sku"),
                {"sku": SPREAD_SKU},
            )
            .scalars()
            .all()
            or conn.execute(
                text(_SPREAD), {"sku": SPREAD_SKU, "n": count - 1, "id": line["product_id"]}
            )
            .scalars()
            .all()
        )
    engine.dispose()
    bodies = [order_body] + [
        json.dumps({"items": [{"product_id": pid, "quantity": 1}]}) for pid in made
    ]
    path = RESULTS / "orders_spread.txt"
    path.write_text("\n".join(bodies) + "\n")
    return str(path)


def store_orders(database_url: str, username: str) -> int:
    """How many orders the store of the guide signed in as ``username`` has."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(
            text(
                "SELECT count(*) FROM orders o JOIN users u ON u.store_id = o.store_id"
                " WHERE u.username = :u"
            ),
            {"u": username},
        ).scalar_one()
    engine.dispose()
    return count
