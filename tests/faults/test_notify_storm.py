"""A storm of 1,000 payment notifies, 30 % of them duplicates (some arriving at the same
moment): each payment is posted exactly once and the ledger balances."""

from __future__ import annotations

import queue
import threading

import xmltodict
from sqlalchemy import func, select

from app.extensions import db
from franchise.models import LedgerEntry, LedgerTransaction, Order, Payment
from franchise.services import ledger
from tests.franchise.factories import build_org
from tests.franchise.factories_payments import gen_customer, gen_order, gen_product, notify_xml

NOTIFIES = 1000
DUPLICATE_SHARE = 0.3
THREADS = 8
RESENDS = 5  # WeChat re-sends a FAIL; a storm answer may be FAIL under lock contention


def test_notify_storm_posts_each_payment_once(app, seeded_random):
    unique = int(NOTIFIES * (1 - DUPLICATE_SHARE))
    with app.app_context():
        org = build_org()
        customer = gen_customer(org.fa)
        product = gen_product(9900)
        orders = []
        for n in range(unique):
            order = gen_order(customer, 9900 + n, product=product, order_no=f"S{n:012d}")
            order.out_trade_no = order.order_no
            orders.append((order.order_no, order.payable_fen))
        db.session.commit()
    bodies = [
        notify_xml(
            app,
            {
                "sub_mch_id": "1900000201",
                "out_trade_no": no,
                "total_fee": fee,
                "transaction_id": f"42000000002026112{n:011d}",
            },
        )
        for n, (no, fee) in enumerate(orders)
    ]
    rng = seeded_random()
    stream = list(bodies)
    for body in rng.sample(bodies, NOTIFIES - unique):
        stream.insert(rng.randrange(len(stream)), body)  # duplicates, some back to back
    assert len(stream) == NOTIFIES

    work: queue.Queue = queue.Queue()
    for body in stream:
        work.put(body)
    answers: list[str] = []
    lock = threading.Lock()

    def worker():
        client = app.test_client()
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                return
            for _ in range(RESENDS):
                res = client.post("/api/v1/pay/notify", data=body, content_type="application/xml")
                code = xmltodict.parse(res.data)["xml"]["return_code"]
                if code == "SUCCESS":
                    break
            with lock:
                answers.append(code)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)
    assert len(answers) == NOTIFIES
    assert set(answers) == {"SUCCESS"}

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == unique
        paid = db.session.scalar(
            select(func.count()).select_from(Order).where(Order.status == "paid")
        )
        assert paid == unique
        debits, credits = db.session.execute(
            select(func.sum(LedgerEntry.debit_fen), func.sum(LedgerEntry.credit_fen))
        ).one()
        assert debits == credits
        unbalanced = db.session.execute(
            select(LedgerEntry.transaction_id)
            .group_by(LedgerEntry.transaction_id)
            .having(func.sum(LedgerEntry.debit_fen) != func.sum(LedgerEntry.credit_fen))
        ).all()
        assert unbalanced == []
        gross = sum(fee for _no, fee in orders)
        fees = sum(ledger.wechat_fee(fee) for _no, fee in orders)
        assert db.session.scalar(select(func.sum(Payment.amount_fen))) == gross
        kinds = db.session.scalar(select(func.count(func.distinct(LedgerTransaction.kind))))
        assert kinds >= 2  # payment and fee postings
        shares = sum(ledger.hq_share(fee, 1000) for _no, fee in orders)  # factory: 10 %
        assert ledger.available_balance(org.fa) == gross - fees - shares
