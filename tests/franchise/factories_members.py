"""Factories for the members and points tests: paid orders with their payment, and
successful refunds, written directly (the payments path is tested elsewhere), each
then handed to the points services as the payments area would."""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.clock import SHANGHAI, shanghai_day, utcnow
from app.extensions import db
from franchise.models import Customer, Order, Payment, Product, Refund
from franchise.services import members, points, points_book, points_refunds
from tests.franchise.factories_payments import gen_customer, gen_order

_seq = itertools.count(1)


def gen_product(price_fen: int, stock: int = 10_000) -> Product:
    n = next(_seq)
    product = Product(sku=f"MEM-{n:05d}", name=f"黄金吊坠 {n}", price_fen=price_fen, stock=stock)
    db.session.add(product)
    db.session.commit()
    return product


def paid_order(customer_id: int, franchisee_id: int, amount_fen: int, earn: bool = True) -> Order:
    """A paid order of ``amount_fen`` with its ``Payment``; earned at once when ``earn``."""
    n = next(_seq)
    now = utcnow()
    order = gen_order(
        db.session.get(Customer, customer_id),
        amount_fen,
        product=gen_product(amount_fen),
        franchisee_id=franchisee_id,
        status="paid",
        paid_fen=amount_fen,
        paid_at=now,
        transaction_id=f"4200M{n:010d}",
        out_trade_no=f"M{n:012d}",
    )
    db.session.add(
        Payment(
            order_id=order.id,
            franchisee_id=franchisee_id,
            sub_mch_id="1900000201",
            out_trade_no=order.out_trade_no,
            transaction_id=order.transaction_id,
            amount_fen=amount_fen,
            paid_at=now,
            business_date=shanghai_day(),
        )
    )
    if earn:
        points.earn_for_order(order)
    db.session.commit()
    return order


def refund(order: Order, amount_fen: int) -> Refund:
    """A successful refund of ``amount_fen`` and its points (what ``complete_refund``
    does for them); commits."""
    payment = db.session.query(Payment).filter_by(order_id=order.id).one()
    row = Refund(
        order_id=order.id,
        payment_id=payment.id,
        franchisee_id=order.franchisee_id,
        out_refund_no=f"RM{next(_seq):010d}",
        amount_fen=amount_fen,
        status="succeeded",
    )
    db.session.add(row)
    db.session.flush()
    order.refunded_fen += amount_fen
    points_refunds.on_refund(order, row)
    db.session.commit()
    return row


def spend_elsewhere(customer_id: int, franchisee_id: int, points_spent: int) -> None:
    """The member spends ``points_spent`` at ``franchisee_id`` (an exchange); commits."""
    points_book.post(
        f"spent-elsewhere:{next(_seq)}",
        "exchange",
        customer_id,
        [
            (f"member:{customer_id}", points_spent, 0),
            (f"redeemed:{franchisee_id}", 0, points_spent),
        ],
        value_fen=1,
        business_date=shanghai_day(),
        consumed=points_spent,
    )
    db.session.commit()


def event_members(org, levels_a: list[str], levels_b: list[str]) -> list[int]:
    """Member-event tests: customers of franchisee A (store SH-A, guide Ann) and B with the
    given levels."""
    ids = []
    owners = ((org.fa, org.sa, org.ga, levels_a), (org.fb, None, None, levels_b))
    for fid, store, guide, levels in owners:
        for n, level in enumerate(levels):
            customer = gen_customer(fid, store_id=store, guide_id=guide, nickname=f"会员{fid}-{n}")
            members.ensure(customer.id).level = level
            ids.append(customer.id)
    db.session.commit()
    return ids


def post_event(client, headers, **kw):
    """HQ's ``POST /api/v1/member-events`` of a gold and platinum event in 10 days, 2 places."""
    starts = (utcnow() + timedelta(days=10)).astimezone(SHANGHAI)
    body = {"name": "金卡品鉴会", "starts_at": starts.strftime("%Y-%m-%dT19:00:00"),
            "levels": ["gold", "platinum"], "capacity": 2, **kw}  # fmt: skip
    return client.post("/api/v1/member-events", json=body, headers=headers)
