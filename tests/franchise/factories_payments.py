"""Factories for the payments tests: customers, products and orders written directly,
helpers that pay an order through the real API and the sandbox, and WeChat Pay notifies
signed as WeChat signs them, posted to the notify endpoint."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime, timedelta

import xmltodict
from sqlalchemy import select
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from app.auth.principal import issue_customer_token
from app.extensions import db
from app.wechat.sandbox import sandbox_state
from app.wechat.sandbox.state import SHANGHAI
from franchise.models import Customer, Order, OrderLine, Product
from tests.fixtures.auth import bearer
from tests.fixtures.database import saved

SUB_MCH_A = "1900000201"  # franchisee A's sub-merchant in the ``org`` fixture
_seq = itertools.count(1)


def gen_customer(franchisee_id: int, **kw) -> Customer:
    n = next(_seq)
    kw.setdefault("openid", f"oPAY{n:06d}")
    kw.setdefault("assignment_rule", "hq_pool")
    return saved(Customer(franchisee_id=franchisee_id, **kw))


def gen_product(price_fen: int = 12345, **kw) -> Product:
    n = next(_seq)
    kw.setdefault("sku", f"PAY-{n:05d}")
    kw.setdefault("name", f"足金戒指 {n}")
    return saved(Product(price_fen=price_fen, stock=100, **kw))


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
    return saved(order)


def gen_order_to_pay(customer: Customer, payable_fen: int = 12345, **kw) -> Order:
    """``gen_order`` with its out_trade_no set to its order number, as once its prepay is
    made (a notify can name it)."""
    order = gen_order(customer, payable_fen, **kw)
    order.out_trade_no = order.order_no
    db.session.commit()
    return order


def new_customer_order(app, franchisee_id: int, amount: int) -> tuple[int, int]:
    """``(order id, customer id)``: a created order of ``amount`` fen by a new customer of
    the franchisee."""
    with app.app_context():
        customer = gen_customer(franchisee_id)
        return gen_order(customer, amount).id, customer.id


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


def paid_orders(app, client, org, amounts) -> list[str]:
    """One order of a new customer of franchisee A per amount, each paid at the sandbox;
    their WeChat transaction ids."""
    ids = [new_customer_order(app, org.fa, amount) for amount in amounts]
    return [pay_and_succeed(client, *pair, app)["transaction_id"] for pair in ids]


def resend_notify(client, kind: str, body: bytes):
    """Post a notify the sandbox sent again, as WeChat re-sends it (v3: signed anew)."""
    if kind.endswith("_v3"):
        from app.wechat.sandbox.pay_v3_auth import signed_headers

        with client.application.app_context():
            headers = signed_headers(body.decode())
        headers["Content-Type"] = "application/json"
        return client.post("/api/v1/pay/notify", data=body, headers=headers)
    return client.post("/api/v1/pay/notify", data=body, content_type="application/xml")


def to_bill_time(app, day) -> None:
    """Advance the sandbox clock to 10:05 of the day after ``day``."""
    state = sandbox_state(app)
    ready = datetime.combine(day + timedelta(days=1), datetime.min.time(), SHANGHAI)
    state.advance((ready + timedelta(hours=10, minutes=5)).timestamp() - state.now())


def notify_xml(app, fields: dict, key: str | None = None) -> bytes:
    """A notify signed (MD5) the way the sandbox / WeChat signs it."""
    cfg = app.config
    body = {
        "appid": cfg["PAY_APPID"],
        "mch_id": cfg["PAY_MCH_ID"],
        "nonce_str": secrets.token_hex(8),
        "result_code": "SUCCESS",
        "return_code": "SUCCESS",
        "trade_type": "JSAPI",
        "time_end": "20261126120000",
        **fields,
    }
    return dict_to_xml(body, calculate_signature(body, key or cfg["PAY_KEY"])).encode()


def order_to_pay(app, franchisee_id: int, amount: int, status: str = "created") -> str:
    """A created (or ``status``) order with its out_trade_no; returns the out_trade_no."""
    with app.app_context():
        return gen_order_to_pay(gen_customer(franchisee_id), amount, status=status).out_trade_no


def order_after_a_payment(client, app, franchisee_id: int, amount: int, tid: str) -> str:
    """A first order of the franchisee paid by notify ``tid`` (its ledger accounts exist
    from then on), then another ``amount`` order to pay: its out_trade_no."""
    first = order_to_pay(app, franchisee_id, amount)
    assert post_notify(client, app, first, amount, tid) == "SUCCESS"
    return order_to_pay(app, franchisee_id, amount)


def notify_response(client, app, out_trade_no: str, amount: int, tid: str, sub=SUB_MCH_A):
    """POST a paid (v2, signed) notify for ``out_trade_no``; the response."""
    fields = {
        "sub_mch_id": sub,
        "out_trade_no": out_trade_no,
        "total_fee": amount,
        "transaction_id": tid,
    }
    return client.post(
        "/api/v1/pay/notify", data=notify_xml(app, fields), content_type="application/xml"
    )


def send_notify_body(client, body: bytes) -> tuple[int, str]:
    """POST a notify ``body`` as WeChat Pay does; the HTTP status and the answer's
    ``return_code``."""
    res = client.post("/api/v1/pay/notify", data=body, content_type="application/xml")
    return res.status_code, xmltodict.parse(res.data)["xml"]["return_code"]


def post_notify(client, app, out_trade_no: str, amount: int, tid: str, sub=SUB_MCH_A) -> str:
    """POST a paid notify for ``out_trade_no``; the ``return_code`` of the answer."""
    res = notify_response(client, app, out_trade_no, amount, tid, sub)
    return xmltodict.parse(res.data)["xml"]["return_code"]


def paid_order_id(app, client, org, amount: int = 10000) -> int:
    """The id of an order of franchisee A paid through a real notify of ``amount`` fen."""
    otn = order_to_pay(app, org.fa, amount)
    assert post_notify(client, app, otn, amount, "4200000000202612070000000301") == "SUCCESS"
    with app.app_context():
        return db.session.scalar(select(Order.id).where(Order.out_trade_no == otn))
