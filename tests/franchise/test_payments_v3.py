"""APIv3 notifies at the app: the valid one posts once, every forgery posts nothing and
leaves one alert per cause; WeChat's sample transaction maps and is refused for another
merchant; v2 XML still posts under v3 (orders placed before a switch); the refund notify
ends a refund once and refuses another amount."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.outbox import drain
from app.wechat.pay_v3 import transaction_fields
from franchise.models import Alert, Order, Payment, Refund
from tests.fixtures.database import row_count_in
from tests.fixtures.randomness import db_examples
from tests.franchise.factories_pay_v3 import FORGERIES, REASONS, paid_resource, v3_notify
from tests.franchise.factories_payments import (
    new_customer_order,
    notify_xml,
    pay,
)

pytestmark = pytest.mark.usefixtures("pay_v3")
SAMPLES = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "wechat_pay_v3_samples.json").read_text("utf-8")
)


@pytest.fixture
def order_v3(app, client, org):
    """A created order of 100.00 yuan of franchise A, its v3 prepay made."""
    ids = new_customer_order(app, org.fa, 10000)
    return ids[0], pay(client, *ids, app)["out_trade_no"]


def _refusals(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.scalars(select(Alert).where(Alert.code == "pay_notify_refused"))
        return {row.params["reason"]: row.count for row in rows}


def test_a_valid_v3_notify_posts_once_and_is_answered_204(app, client, org, order_v3):
    order_id, out_trade_no = order_v3
    resource = paid_resource(app, out_trade_no, 10000)
    for _ in range(3):  # WeChat re-sends: the same payment, posted once
        body, headers = v3_notify(app, resource)
        res = client.post("/api/v1/pay/notify", data=body, headers=headers)
        assert res.status_code == 204 and res.data == b""
    assert row_count_in(app, Payment) == 1 and _refusals(app) == {}
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == "paid" and order.transaction_id == resource["transaction_id"]


@pytest.mark.parametrize("forgery", [*FORGERIES, "missing_headers"])
def test_a_forged_v3_notify_posts_nothing_and_leaves_one_alert(app, client, org, order_v3, forgery):
    _, out_trade_no = order_v3
    resource = paid_resource(app, out_trade_no, 10000)
    for _ in range(2):
        body, headers = v3_notify(app, resource, forgery=forgery)
        res = client.post("/api/v1/pay/notify", data=body, headers=headers)
        assert res.status_code == 400
        assert res.get_json() == {"code": "FAIL", "message": REASONS[forgery]}
    assert row_count_in(app, Payment) == 0
    assert _refusals(app) == {REASONS[forgery]: 2}  # one alert for the cause, seen twice


def test_one_alert_per_cause(app, client, org, order_v3):
    _, out_trade_no = order_v3
    for forgery in FORGERIES:
        body, headers = v3_notify(app, paid_resource(app, out_trade_no, 10000), forgery=forgery)
        client.post("/api/v1/pay/notify", data=body, headers=headers)
    assert set(_refusals(app)) == {REASONS[f] for f in FORGERIES}
    assert row_count_in(app, Alert) == 4 and row_count_in(app, Payment) == 0


def test_the_official_sample_maps_and_is_refused_for_another_merchant(app, client, org):
    sample = SAMPLES["partner_transaction"]
    fields = transaction_fields(sample)
    assert fields["time_end"] == "20180608103456" and fields["total_fee"] == 100
    assert fields["sub_mch_id"] == "1900000109" and fields["mch_id"] == "1230000109"
    assert set(SAMPLES["notify_envelope"]) <= {
        "id",
        "create_time",
        "resource_type",
        "event_type",
        "summary",
        "resource",
    }
    body, headers = v3_notify(app, sample)
    res = client.post("/api/v1/pay/notify", data=body, headers=headers)
    assert res.status_code == 400 and res.get_json()["message"] == "mch_id mismatch"
    assert row_count_in(app, Payment) == 0


def test_a_wrong_amount_is_refused_with_422_and_its_own_alert(app, client, org, order_v3):
    _, out_trade_no = order_v3
    body, headers = v3_notify(app, paid_resource(app, out_trade_no, 1))
    res = client.post("/api/v1/pay/notify", data=body, headers=headers)
    assert res.status_code == 422  # 4xx: WeChat sends again
    assert row_count_in(app, Payment) == 0
    assert row_count_in(app, Alert, Alert.code == "pay_amount_mismatch") == 1


def test_v2_xml_still_posts_under_v3(app, client, org, order_v3):
    _, out_trade_no = order_v3
    fields = {
        "sub_mch_id": "1900000201",
        "out_trade_no": out_trade_no,
        "total_fee": 10000,
        "transaction_id": "4200000000202611260000000077",
    }
    res = client.post(
        "/api/v1/pay/notify", data=notify_xml(app, fields), content_type="application/xml"
    )
    assert b"SUCCESS" in res.data and row_count_in(app, Payment) == 1


def test_refund_notify_ends_the_refund_once(app, client, org, order_v3, as_hq):
    order_id, out_trade_no = order_v3
    client.post(f"/_sandbox/pay/{out_trade_no}/succeed")
    res = client.post(
        f"/api/v1/orders/{order_id}/refunds", json={"amount_fen": 2500}, headers=as_hq
    )
    assert res.status_code == 202
    with app.app_context():
        drain()  # the refund call answers PROCESSING; its notify completes it
        refund = db.session.scalars(select(Refund)).one()
        assert refund.status == "succeeded" and refund.refund_id
        assert db.session.get(Order, order_id).refunded_fen == 2500
    resource = {
        "sp_mchid": app.config["PAY_MCH_ID"],
        "sub_mchid": "1900000201",
        "out_trade_no": out_trade_no,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": "SUCCESS",
        "amount": {"total": 10000, "refund": 2500, "payer_total": 10000, "payer_refund": 2500},
    }
    body, headers = v3_notify(app, resource, event="REFUND.SUCCESS")
    assert client.post("/api/v1/pay/notify", data=body, headers=headers).status_code == 204
    body, headers = v3_notify(app, resource | {"amount": {"refund": 9999}}, event="REFUND.SUCCESS")
    assert client.post("/api/v1/pay/notify", data=body, headers=headers).status_code == 422
    with app.app_context():
        assert db.session.get(Order, order_id).refunded_fen == 2500  # posted once


def test_certificate_mode_verifies_by_the_platform_certificate(
    app, client, org, order_v3, tmp_path
):
    """WeChat Pay signs with its platform certificate's key and names its serial; the app
    downloads the certificate once and accepts the notify; a public key id is refused."""
    from app.wechat.pay_v3_keys import sandbox_identity

    _, out_trade_no = order_v3
    saved = {k: app.config.get(k) for k in ("PAY_V3_VERIFY", "PAY_V3_PLATFORM_CERT_DIR")}
    app.config.update(PAY_V3_VERIFY="certificate", PAY_V3_PLATFORM_CERT_DIR=str(tmp_path))
    try:
        body, headers = v3_notify(app, paid_resource(app, out_trade_no, 10000))
        assert headers["Wechatpay-Serial"] == sandbox_identity().platform_serial
        assert client.post("/api/v1/pay/notify", data=body, headers=headers).status_code == 204
        body, headers = v3_notify(app, paid_resource(app, out_trade_no, 10000))
        headers["Wechatpay-Serial"] = sandbox_identity().public_key_id
        res = client.post("/api/v1/pay/notify", data=body, headers=headers)
        assert res.status_code == 400 and res.get_json()["message"] == "unknown serial"
    finally:
        app.config.update(saved)
    assert row_count_in(app, Payment) == 1


def test_hq_returns_its_share_before_a_refund(app, client, org, order_v3, as_hq):
    """¥100 paid, HQ's ¥10 shared; refunds of ¥30 and ¥70 take back ¥3 then ¥7 of it
    at WeChat (分账回退), the same fen the ledger reverses; a retry returns nothing twice."""
    from app.wechat.sandbox import sandbox_state
    from franchise.models import LedgerTransaction
    from franchise.services import refunds, share_return

    order_id, out_trade_no = order_v3
    client.post(f"/_sandbox/pay/{out_trade_no}/succeed")
    with app.app_context():
        drain()  # HQ's share goes out
    for amount in (3000, 7000):
        res = client.post(
            f"/api/v1/orders/{order_id}/refunds", json={"amount_fen": amount}, headers=as_hq
        )
        assert res.status_code == 202
        with app.app_context():
            drain()
    returns = sandbox_state(app).data["share_returns"]
    with app.app_context():
        ids = db.session.scalars(select(Refund.id).order_by(Refund.id)).all()
        assert [returns[f"RT{i:010d}"]["amount"] for i in ids] == [300, 700]
        reversed_fen = db.session.scalars(
            select(LedgerTransaction.amount_fen)
            .where(LedgerTransaction.kind == "hq_share_refund")
            .order_by(LedgerTransaction.id)
        ).all()
        assert reversed_fen == [300, 700]
        assert share_return.return_before_refund(ids[0])["amount"] == 300  # same answer
        assert refunds.refundable_fen(db.session.get(Order, order_id)) == 0
    assert len(returns) == 2


@db_examples(25, HealthCheck.too_slow)
@given(data=st.data())
def test_any_change_to_a_signed_notify_is_refused(app, client, org, order_v3, data):
    """Whatever character of the signed body is changed (or whichever header), nothing is
    posted: the notify is refused before any order is looked at."""
    _, out_trade_no = order_v3
    body, headers = v3_notify(app, paid_resource(app, out_trade_no, 10000))
    text = body.decode()
    if data.draw(st.booleans(), label="change the body"):
        at = data.draw(st.integers(0, len(text) - 1), label="position")
        new = data.draw(st.characters(codec="ascii").filter(lambda c: c != text[at]))
        text = text[:at] + new + text[at + 1 :]
    else:
        name = data.draw(
            st.sampled_from(["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature"]),
            label="header",
        )
        headers = {**headers, name: headers[name][:-1] + ("0" if headers[name][-1] != "0" else "1")}
    res = client.post("/api/v1/pay/notify", data=text.encode(), headers=headers)
    assert res.status_code == 400, res.get_data(as_text=True)
    assert row_count_in(app, Payment) == 0
