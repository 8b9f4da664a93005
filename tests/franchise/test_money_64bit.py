"""Money is 64-bit on both databases: every ``*_fen`` column is BIGINT, and a paid notify
of any amount up to the largest order Siyu accepts, at any profit share it allows,
reaches the ledger balanced with HQ's share as ``ledger.hq_share`` computes it.

On PostgreSQL the notify is one statement (``payments_pg.SETTLE_SQL``); it multiplied
the amount by the share in 32-bit integers, so a ¥26,800 order at 12 % failed with
"integer out of range" and never reached the ledger.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import BigInteger, select

from app.extensions import db
from app.outbox import drain
from franchise.models import (
    Franchisee,
    LedgerTransaction,
    Order,
    Payment,
    ProfitShare,
)
from franchise.models.org import MAX_PROFIT_SHARE_BPS
from franchise.services import ledger
from franchise.services.catalog import MAX_PRICE_FEN
from franchise.services.order_lines import MAX_LINES, MAX_ORDER_FEN, MAX_QUANTITY
from tests.fixtures.randomness import db_examples
from tests.franchise.factories import gen_franchisee, gen_region
from tests.franchise.factories_payments import (
    customer_headers,
    gen_customer,
    gen_order_to_pay,
    pay_and_succeed,
    post_notify,
)

_tids = itertools.count(1)


def test_every_money_column_is_bigint(app):
    narrow = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_fen") and not isinstance(column.type, BigInteger)
    ]
    assert narrow == []


def assert_posted(out_trade_no: str, amount: int, bps: int) -> None:
    """The order is paid, and its payment, three postings (zero ones skipped), profit
    share and the whole ledger agree with the Python rules."""
    order = db.session.scalars(select(Order).where(Order.out_trade_no == out_trade_no)).one()
    assert (order.status, order.paid_fen) == ("paid", amount)
    payment = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    fee, share = ledger.wechat_fee(amount), ledger.hq_share(amount, bps)
    assert share == amount * bps // 10000
    assert (payment.amount_fen, payment.fee_fen) == (amount, fee)
    posted = dict(
        db.session.execute(
            select(LedgerTransaction.kind, LedgerTransaction.amount_fen).where(
                LedgerTransaction.payment_id == payment.id
            )
        ).all()
    )
    expected = {"payment": amount, "fee": fee, "hq_share": share}
    assert posted == {k: v for k, v in expected.items() if v}
    assert ledger.unbalanced_transactions() == []
    fid = order.franchisee_id
    assert ledger.available_balance(fid) == amount - fee - share
    assert ledger.account_balance(fid, "sales") == -amount
    assert ledger.account_balance(fid, "hq_share") == share
    shares = db.session.scalars(
        select(ProfitShare.amount_fen).where(ProfitShare.payment_id == payment.id)
    ).all()
    assert shares == ([share] if bps else [])


def _world(amount: int, bps: int) -> tuple[str, str]:
    """A franchisee of its own at ``bps``, a customer and a created order of ``amount``;
    the order's out_trade_no and the franchisee's sub_mch_id (each example has its own
    franchisee, so no example sees another's balances)."""
    sub_mch_id = f"19{next(_tids):08d}"
    franchisee = gen_franchisee(gen_region(), sub_mch_id=sub_mch_id, profit_share_bps=bps)
    order = gen_order_to_pay(gen_customer(franchisee.id), amount)
    return order.out_trade_no, sub_mch_id


@pytest.mark.parametrize(
    ("amount", "bps"),
    [(26_800_00, 1200), (18_600_00, 1200), (21_474_84, 1000), (2**31, MAX_PROFIT_SHARE_BPS)],
)
def test_demo_jewels_reach_the_ledger(app, client, amount, bps):
    """The demo's ¥26,800 and ¥18,600 products at 12 %, the first amount past 2**31 at
    10 %, and a payment past 2**31 fen itself."""
    with app.app_context():
        otn, sub = _world(amount, bps)
    assert post_notify(client, app, otn, amount, f"42000000{next(_tids):020d}", sub) == "SUCCESS"
    with app.app_context():
        assert_posted(otn, amount, bps)


amounts = st.one_of(
    st.integers(1, MAX_ORDER_FEN),
    st.integers(1, 10**8),  # everyday jewellery
    st.sampled_from([2**31 - 1, 2**31, 21_474_84, 17_895_70, MAX_ORDER_FEN - 1]),
)


@db_examples(30, print_blob=True)
@given(amount=amounts, bps=st.integers(0, MAX_PROFIT_SHARE_BPS))
@example(amount=MAX_ORDER_FEN, bps=MAX_PROFIT_SHARE_BPS)
@example(amount=1, bps=0)
def test_any_amount_at_any_share_reaches_the_ledger_balanced(app, client, amount, bps):
    with app.app_context():
        otn, sub = _world(amount, bps)
    assert post_notify(client, app, otn, amount, f"42000000{next(_tids):020d}", sub) == "SUCCESS"
    with app.app_context():
        assert_posted(otn, amount, bps)


def test_the_largest_order_is_placed_paid_and_posted(app, client, org, as_hq):
    """Twenty products at the highest list price, 99 of each, through the API: placed,
    paid at the sandbox, posted to the ledger, refunded in full."""
    assert MAX_ORDER_FEN == MAX_LINES * MAX_QUANTITY * MAX_PRICE_FEN
    ids = []
    for n in range(MAX_LINES):
        body = {"sku": f"TOP-{n}", "name": f"帝王绿翡翠 {n}", "price_fen": MAX_PRICE_FEN}
        res = client.post("/api/v1/products", json={**body, "stock": 99}, headers=as_hq)
        assert res.status_code == 201, res.get_json()
        ids.append(res.get_json()["id"])
    with app.app_context():
        customer = gen_customer(org.fa)
        customer_id = customer.id
        headers = customer_headers(customer_id)
    items = [{"product_id": pid, "quantity": MAX_QUANTITY} for pid in ids]
    res = client.post("/api/v1/mp/orders", json={"items": items}, headers=headers)
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["payable_fen"] == MAX_ORDER_FEN
    order_id = res.get_json()["id"]
    pay_and_succeed(client, order_id, customer_id, app)
    with app.app_context():
        order = db.session.get(Order, order_id)
        bps = db.session.get(Franchisee, order.franchisee_id).profit_share_bps
        assert_posted(order.out_trade_no, MAX_ORDER_FEN, bps)
    url = f"/api/v1/orders/{order_id}/refunds"
    res = client.post(url, json={"amount_fen": MAX_ORDER_FEN, "reason": "退货"}, headers=as_hq)
    assert res.status_code == 202, res.get_json()
    with app.app_context():
        drain()
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_fen) == ("refunded", MAX_ORDER_FEN)
        assert ledger.available_balance(order.franchisee_id) == 0
        assert ledger.unbalanced_transactions() == []
