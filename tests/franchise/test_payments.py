"""WeChat Pay for orders: pay params, the notify posted once, refused notifies, refunds."""

from __future__ import annotations

import pytest
import xmltodict
from sqlalchemy import func, select
from wechatpy.pay.utils import calculate_signature

from app.extensions import db
from app.outbox import drain
from app.wechat import pay as wxpay
from franchise.models import (
    Alert,
    LedgerEntry,
    LedgerTransaction,
    Order,
    OrderEvent,
    Payment,
    ProfitShare,
    Refund,
)
from franchise.services import ledger
from tests.fixtures.vectors import wechat_vectors
from tests.franchise.factories_payments import (
    customer_headers,
    gen_customer,
    new_customer_order,
    notify_xml,
    pay,
    pay_and_succeed,
    resend_notify,
)


@pytest.fixture
def order_a(app, org):
    """A created order of 100.00 yuan by a customer of franchise A (HQ share 10 %)."""
    return new_customer_order(app, org.fa, 10000)


def counts(app) -> dict:
    with app.app_context():
        return {
            "payments": db.session.scalar(select(func.count()).select_from(Payment)),
            "transactions": db.session.scalar(select(func.count()).select_from(LedgerTransaction)),
            "alerts": db.session.scalar(select(func.count()).select_from(Alert)),
        }


def test_official_md5_vector():
    vector = wechat_vectors()["pay_signature"]
    assert wxpay.sign_md5(vector["params"], vector["key"]) == vector["md5"]
    assert wxpay.sign_hmac_sha256(vector["params"], vector["key"]) == vector["hmac_sha256"]


def test_pay_returns_contract_params_signed_md5(app, client, org, order_a, pay_v2):
    order_id, customer_id = order_a
    answer = pay(client, order_id, customer_id, app)
    assert set(answer) == {"out_trade_no", "pay_params"}
    params = answer["pay_params"]
    assert set(params) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["signType"] == "MD5" and params["package"].startswith("prepay_id=")
    signed = {
        "appId": app.config["MP_APPID"],
        **{k: v for k, v in params.items() if k != "paySign"},
    }
    assert calculate_signature(signed, app.config["PAY_KEY"]) == params["paySign"]
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.out_trade_no == answer["out_trade_no"]
        from app.wechat.sandbox import sandbox_state

        at_wechat = sandbox_state(app).data["orders"][order.out_trade_no]
        assert at_wechat["sub_mch_id"] == "1900000201" and at_wechat["total_fee"] == 10000
        assert at_wechat["profit_sharing"] == "Y" and at_wechat["sub_openid"].startswith("oPAY")
    again = pay(client, order_id, customer_id, app)
    assert again["out_trade_no"] == answer["out_trade_no"]
    assert again["pay_params"]["package"] == params["package"]  # same prepay


def test_pay_someone_elses_or_paid_order(app, client, org, order_a, pay_api):
    order_id, customer_id = order_a
    with app.app_context():
        other = gen_customer(org.fa).id
        headers = customer_headers(other)
    assert client.post(f"/api/v1/mp/orders/{order_id}/pay", headers=headers).status_code == 404
    assert client.post("/api/v1/mp/orders/999999/pay", headers=headers).status_code == 404
    assert client.post(f"/api/v1/mp/orders/{order_id}/pay").status_code == 401
    pay_and_succeed(client, order_id, customer_id, app)
    with app.app_context():
        headers = customer_headers(customer_id)
    res = client.post(f"/api/v1/mp/orders/{order_id}/pay", headers=headers)
    assert res.status_code == 409 and res.get_json()["code"] == "not_payable"
    res = client.post(f"/api/v1/mp/orders/{order_id}/pay", headers=headers, json={"x": 1})
    assert res.status_code == 422


def test_wechat_failure_is_503_or_502_never_500(app, client, org, order_a, pay_api):
    order_id, customer_id = order_a
    with app.app_context():
        headers = customer_headers(customer_id)
    api = "pay/unifiedorder" if pay_api == "v2" else "transactions/jsapi"
    client.post("/_sandbox/control/faults", json={"api": api, "http_status": 502})
    res = client.post(f"/api/v1/mp/orders/{order_id}/pay", headers=headers)
    assert res.status_code == 503 and res.get_json()["code"] == "payment_unavailable"
    refused = "NOAUTH" if pay_api == "v2" else "NO_AUTH"
    client.post("/_sandbox/control/faults", json={"api": api, "errcode": refused})
    res = client.post(f"/api/v1/mp/orders/{order_id}/pay", headers=headers)
    assert res.status_code == 502 and res.get_json()["code"] == "payment_refused"
    assert pay(client, order_id, customer_id, app)["out_trade_no"]  # works again


def test_whole_flow_notify_to_ledger_balance_and_statement(
    app, client, org, order_a, as_hq, pay_api
):
    order_id, customer_id = order_a
    result = pay_and_succeed(client, order_id, customer_id, app)
    assert result["delivery"]["status"] == "delivered"
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == "paid" and order.paid_fen == 10000
        assert order.transaction_id == result["transaction_id"] and order.paid_at is not None
        event = db.session.scalars(
            select(OrderEvent).where(
                OrderEvent.order_id == order_id, OrderEvent.to_status == "paid"
            )
        ).one()
        assert event.from_status == "created" and event.actor_role == "wechat"
        payment = db.session.scalars(select(Payment)).one()
        assert payment.fee_fen == 60 and payment.source == "notify"
        assert ledger.available_balance(org.fa) == 10000 - 60 - 1000
        share = db.session.scalars(select(ProfitShare)).one()
        assert share.amount_fen == 1000 and share.status == "pending"
    balance = client.get(f"/api/v1/franchisees/{org.fa}/balance", headers=as_hq).get_json()
    assert balance["available_fen"] == 8940
    assert balance["today_gross_fen"] == 10000 and balance["today_net_fen"] == 8940
    statement = client.get(f"/api/v1/franchisees/{org.fa}/statements", headers=as_hq).get_json()
    assert statement["payments_count"] == 1 and statement["fee_fen"] == 60
    assert statement["lines"][0]["transaction_id"] == result["transaction_id"]
    with app.app_context():  # HQ's share goes out as a profit-sharing instruction
        assert drain() >= 1
        share = db.session.scalars(select(ProfitShare)).one()
        assert share.status == "done" and share.wechat_order_id
        from app.wechat.sandbox import sandbox_state

        shared = sandbox_state(app).data["shares"][share.out_order_no]
        assert shared["amount"] == 1000
        assert shared["receivers"][0]["account"] == app.config["PAY_MCH_ID"]


def test_duplicate_notifies_post_once(app, client, org, order_a, pay_api):
    order_id, customer_id = order_a
    client.post("/_sandbox/control/flags", json={"duplicate_notify": True})
    result = pay_and_succeed(client, order_id, customer_id, app)
    history = result["delivery"]["history"]
    assert len(history) == 2 and all(h["ok"] for h in history)
    from app.wechat.sandbox import sandbox_state

    with app.app_context():
        item = sandbox_state(app).data["deliveries"][-1]
        body = item["body"].encode()
    for _ in range(3):  # WeChat re-sends later as well
        answer = resend_notify(client, item["kind"], body)
        if pay_api == "v2":
            assert xmltodict.parse(answer.data)["xml"]["return_code"] == "SUCCESS"
        else:
            assert answer.status_code == 204
    assert counts(app)["payments"] == 1 and counts(app)["transactions"] == 3


@pytest.mark.parametrize("case", ["wrong_key", "wrong_amount", "wrong_sub_mch", "unknown_order"])
def test_refused_notifies_post_nothing_and_alert(app, client, org, order_a, case, pay_v2):
    order_id, customer_id = order_a
    answer = pay(client, order_id, customer_id, app)
    fields = {
        "sub_mch_id": "1900000201",
        "out_trade_no": answer["out_trade_no"],
        "total_fee": 10000,
        "transaction_id": "4200000000202611260000000001",
    }
    key = None
    if case == "wrong_key":
        key = "WrongKey0000000000000000000000000"
    elif case == "wrong_amount":
        fields["total_fee"] = 1
    elif case == "wrong_sub_mch":
        fields["sub_mch_id"] = "1900000202"
    else:
        fields["out_trade_no"] = "NOPE"
    res = client.post(
        "/api/v1/pay/notify", data=notify_xml(app, fields, key), content_type="application/xml"
    )
    expected = "SUCCESS" if case == "unknown_order" else "FAIL"  # not ours: no re-sends
    assert xmltodict.parse(res.data)["xml"]["return_code"] == expected
    after = counts(app)
    assert after["payments"] == 0 and after["transactions"] == 0 and after["alerts"] == 1
    with app.app_context():
        alert = db.session.scalars(select(Alert)).one()
        assert alert.severity == "critical"
        assert db.session.get(Order, order_id).status == "created"


def test_refunds_partial_then_full(app, client, org, order_a, as_hq, pay_api):
    order_id, customer_id = order_a
    pay_and_succeed(client, order_id, customer_id, app)
    url = f"/api/v1/orders/{order_id}/refunds"
    res = client.post(url, json={"amount_fen": 3000, "reason": "尺寸不合"}, headers=as_hq)
    assert res.status_code == 202 and res.get_json()["status"] == "requested"
    too_much = client.post(url, json={"amount_fen": 7001}, headers=as_hq)
    assert too_much.status_code == 409
    assert client.post(url, json={"amount_fen": "1"}, headers=as_hq).status_code == 422
    with app.app_context():
        drain()
        order = db.session.get(Order, order_id)
        assert order.refunded_fen == 3000 and order.status == "paid"
        assert ledger.available_balance(org.fa) == 8940 - 3000 + 18 + 300
    res = client.post(url, json={"amount_fen": 7000}, headers=as_hq)
    assert res.status_code == 202
    with app.app_context():
        drain()
        order = db.session.get(Order, order_id)
        assert order.refunded_fen == 10000 and order.status == "refunded"
        assert ledger.available_balance(org.fa) == 0  # fee and HQ share fully returned
        assert [r.status for r in db.session.scalars(select(Refund))] == ["succeeded"] * 2
        debit, credit = db.session.execute(
            select(func.sum(LedgerEntry.debit_fen), func.sum(LedgerEntry.credit_fen))
        ).one()
        assert debit == credit
    statement = client.get(f"/api/v1/franchisees/{org.fa}/statements", headers=as_hq).get_json()
    assert statement["refund_fen"] == 10000 and statement["net_fen"] == 0
    assert [line["kind"] for line in statement["lines"]].count("refund") == 2


def test_refund_permissions(app, client, org, order_a, pay_api):
    from tests.fixtures.auth import api_token, bearer

    order_id, customer_id = order_a
    pay_and_succeed(client, order_id, customer_id, app)
    url = f"/api/v1/orders/{order_id}/refunds"
    owner_b = bearer(api_token(client, "owner-b"))
    guide = bearer(api_token(client, "guide-a"))
    owner_a = bearer(api_token(client, "owner-a"))
    assert client.post(url, json={"amount_fen": 100}, headers=owner_b).status_code == 404
    assert client.post(url, json={"amount_fen": 100}, headers=guide).status_code == 403
    assert client.post(url, json={"amount_fen": 100}, headers=owner_a).status_code == 202
