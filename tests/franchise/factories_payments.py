"""Factories for the payments tests: customers, products and orders written directly,
plus helpers that pay an order through the real API and the sandbox."""

from __future__ import annotations

import itertools

from app.auth.principal import issue_customer_token
from app.extensions import db
from franchise.models import Customer, Order, OrderLine, Product
from tests.fixtures.auth import bearer

_seq = itertools.count(1)


def gen_customer(franchisee_id: int, **kw) -> Customer:
    n = next(_seq)
    kw.setdefault("openid", f"oPAY{n:06d}")
    kw.setdefault("assignment_rule", "hq_pool")
    customer = Customer(franchisee_id=franchisee_id, **kw)
    db.session.add(customer)
    db.session.commit()
    return customer


def gen_product(price_fen: int = 12345, **kw) -> Product:
    n = next(_seq)
    kw.setdefault("sku", f"PAY-{n:05d}")
    kw.setdefault("name", f"足金戒指 {n}")
    product = Product(price_fen=price_fen, stock=100, **kw)
    db.session.add(product)
    db.session.commit()
    return product


def gen_order(customer: Customer, payable_fen: int = 12345, **kw) -> Order:
    """A created order of ``customer`` (franchisee = the customer's) with one line."""
    n = next(_seq)
    product = kw.pop("product", None) or gen_product(payable_fen)
    order = Order(
        order_no=kw.pop("order_no", f"T{n:012d}"),
        customer_id=customer.id,
        franchisee_id=kw.pop("franchisee_id", customer.franchisee_id),
        total_fen=payable_fen,
        payable_fen=payable_fen,
        **kw,
    )
    order.lines.append(
        OrderLine(
            product_id=product.id,
            sku=product.sku,
            name=product.name,
            unit_price_fen=payable_fen,
            quantity=1,
            line_total_fen=payable_fen,
        )
    )
    db.session.add(order)
    db.session.commit()
    return order


def customer_headers(customer_id: int) -> dict:
    return bearer(issue_customer_token(customer_id))


def pay(client, order_id: int, customer_id: int, app) -> dict:
    """``POST /api/v1/mp/orders/{id}/pay`` as the customer; returns the JSON answer."""
    with app.app_context():
        headers = customer_headers(customer_id)
    res = client.post(f"/api/v1/mp/orders/{order_id}/pay", headers=headers)
    assert res.status_code == 200, res.get_data(as_text=True)
    return res.get_json()


def pay_and_succeed(client, order_id: int, customer_id: int, app) -> dict:
    """Pay, then the customer pays at the sandbox (the notify is delivered in-process)."""
    answer = pay(client, order_id, customer_id, app)
    res = client.post(f"/_sandbox/pay/{answer['out_trade_no']}/succeed")
    assert res.status_code == 200, res.get_data(as_text=True)
    return res.get_json()
