"""WeChat Pay through our wrappers and the sandbox: orders, notifies, sharing, bills."""

from __future__ import annotations

import pytest
import xmltodict
from wechatpy.pay.utils import dict_to_xml

from app.wechat import pay
from app.wechat.errors import WeChatAPIError, WeChatUnavailable
from app.wechat.pay_notify import NotifyRejected, add_handler, remove_handler
from app.wechat.sandbox.state import NOTIFY_RETRY_SCHEDULE

pytestmark = pytest.mark.usefixtures("pay_v2")  # the APIv2 emulator (v3: test_sandbox_pay_v3)

SUB = "1900000201"


@pytest.fixture
def notified(app):
    """A temporary pay-notify handler that records what it accepted."""
    seen: list[dict] = []

    def handler(data):
        seen.append(data)
        return True

    add_handler(app, handler)
    yield seen
    remove_handler(app, handler)


def _post_signed(client, app, path: str, fields: dict) -> dict:
    """POST ``fields`` to the sandbox's v2 ``path`` signed (MD5) with our key, as wechatpy
    would; WeChat's answer as a dict."""
    body = dict_to_xml(fields, pay.sign_md5(fields, app.config["PAY_KEY"]))
    return xmltodict.parse(client.post(f"/_sandbox/mch/{path}", data=body).data)["xml"]


def _order(no="SY0001", fee=1234, sharing=False):
    return pay.create_jsapi_order(
        SUB, no, fee, "18K 金戒指", "oSBXcustomer", profit_sharing=sharing
    )


def test_jsapi_params_are_signed_md5(app, sandbox):
    params = _order()
    assert params["package"] == f"prepay_id={params['prepay_id']}"
    assert params["signType"] == "MD5" and params["appId"] == app.config["MP_APPID"]
    signed = {k: params[k] for k in ("appId", "timeStamp", "nonceStr", "package", "signType")}
    assert pay.sign_md5(signed, app.config["PAY_KEY"]) == params["paySign"]
    order = sandbox.data["orders"]["SY0001"]
    assert order["sub_mch_id"] == SUB and order["total_fee"] == 1234
    assert order["spbill_create_ip"] == app.config["PAY_CLIENT_IP"]
    assert order["notify_url"] == app.config["PAY_NOTIFY_URL"]


def test_duplicate_out_trade_no(sandbox, client):
    first = _order()
    assert _order()["prepay_id"] == first["prepay_id"]  # same request: same prepay_id
    with pytest.raises(WeChatAPIError) as info:
        _order(fee=999)
    assert info.value.errcode == "INVALID_REQUEST"
    client.post("/_sandbox/pay/SY0001/succeed")
    with pytest.raises(WeChatAPIError) as info:
        _order()
    assert info.value.errcode == "ORDERPAID"


def test_paid_order_notify_reaches_the_app_and_is_answered_success(app, sandbox, client, notified):
    _order()
    res = client.post("/_sandbox/pay/SY0001/succeed")
    assert res.status_code == 200
    body = res.get_json()
    assert body["delivery"]["status"] == "delivered" and body["delivery"]["attempts"] == 1
    answer = xmltodict.parse(body["delivery"]["history"][0]["answer"])["xml"]
    assert answer == {"return_code": "SUCCESS", "return_msg": "OK"}
    assert len(notified) == 1
    data = notified[0]
    assert data["transaction_id"] == body["transaction_id"]
    assert data["out_trade_no"] == "SY0001" and data["sub_mch_id"] == SUB
    assert data["total_fee"] == 1234 and data["cash_fee"] == 1234
    assert data["appid"] == app.config["PAY_APPID"] and data["sub_openid"] == "oSBXcustomer"
    result = pay.query_order(SUB, "SY0001")
    assert result["trade_state"] == "SUCCESS" and result["total_fee"] == 1234
    assert client.post("/_sandbox/pay/SY0001/succeed").status_code == 409


def test_notify_is_retried_on_wechat_schedule_until_accepted(app, sandbox, client, sbx):
    answers: list[str] = []

    def reject_three_times(data):
        answers.append(data["transaction_id"])
        if len(answers) <= 3:
            raise NotifyRejected("ledger busy")
        return True

    add_handler(app, reject_three_times)
    try:
        _order()
        first = client.post("/_sandbox/pay/SY0001/succeed").get_json()["delivery"]
        assert first["status"] == "pending" and first["attempts"] == 1
        assert "FAIL" in first["history"][0]["answer"]
        assert sbx.post("tick").get_json()["delivered"] == []  # not due yet
        sbx.post("clock", {"advance_seconds": 15})
        assert sbx.post("tick").get_json()["delivered"][0]["attempts"] == 2
        done = sbx.post("flush", {"until_done": True}).get_json()["delivered"][-1]
        assert done["status"] == "delivered" and done["attempts"] == 4
        times = [h["at"] for h in done["history"]]
        assert [round(b - a) for a, b in zip(times, times[1:], strict=False)] == [15, 15, 30]
        assert len(set(answers)) == 1 and len(answers) == 4
    finally:
        remove_handler(app, reject_three_times)


def test_notify_gives_up_after_the_full_schedule(app, sandbox, client, sbx):
    def always_reject(data):
        return False

    add_handler(app, always_reject)
    try:
        _order()
        client.post("/_sandbox/pay/SY0001/succeed")
        last = sbx.post("flush", {"until_done": True}).get_json()["delivered"][-1]
        assert last["status"] == "failed" and last["attempts"] == 16
        times = [h["at"] for h in last["history"]]
        gaps = [round(b - a) for a, b in zip(times, times[1:], strict=False)]
        assert gaps == NOTIFY_RETRY_SCHEDULE and sum(gaps) == 24 * 3600 + 4 * 60
    finally:
        remove_handler(app, always_reject)


def test_duplicate_delivery_flag(sandbox, client, sbx, notified):
    sbx.post("flags", {"duplicate_notify": True})
    _order()
    delivery = client.post("/_sandbox/pay/SY0001/succeed").get_json()["delivery"]
    assert len(delivery["history"]) == 2 and len(notified) == 2
    assert notified[0]["transaction_id"] == notified[1]["transaction_id"]


def test_sandbox_refuses_bad_request_signatures(app, sandbox, client):
    fields = {
        "appid": app.config["PAY_APPID"],
        "mch_id": app.config["PAY_MCH_ID"],
        "out_trade_no": "X",
        "nonce_str": "n",
    }
    for sign in ("BADSIGN", pay.sign_md5(fields, "some-other-key")):
        res = client.post("/_sandbox/mch/pay/orderquery", data=dict_to_xml(fields, sign))
        answer = xmltodict.parse(res.data)["xml"]
        assert answer["return_code"] == "FAIL" and answer["return_msg"] == "签名错误"
    assert _post_signed(client, app, "pay/orderquery", fields)["err_code"] == "ORDERNOTEXIST"


def test_close_refund_and_query(sandbox, client):
    _order("SY0002")
    sandbox.advance(300)  # 关闭订单: not before 5 minutes after the order
    pay.close_order(SUB, "SY0002")
    assert pay.query_order(SUB, "SY0002")["trade_state"] == "CLOSED"
    _order("SY0003", fee=5000)
    with pytest.raises(WeChatAPIError):
        pay.refund(SUB, "SY0003", "RF1", 5000, 1000)  # not paid yet
    client.post("/_sandbox/pay/SY0003/succeed")
    first = pay.refund(SUB, "SY0003", "RF1", 5000, 1000)
    again = pay.refund(SUB, "SY0003", "RF1", 5000, 1000)  # idempotent
    assert first["refund_id"] == again["refund_id"]
    with pytest.raises(WeChatAPIError) as info:
        pay.refund(SUB, "SY0003", "RF2", 5000, 4001)
    assert info.value.errcode == "NOTENOUGH"
    assert pay.query_refund(SUB, "RF1")["refund_status_0"] == "SUCCESS"


def test_profit_sharing_is_capped_at_30_percent(app, sandbox, client):
    _order("SY0004", fee=10000, sharing=True)
    tx = client.post("/_sandbox/pay/SY0004/succeed").get_json()["transaction_id"]
    receiver = {
        "type": "MERCHANT_ID",
        "account": app.config["PAY_MCH_ID"],
        "name": "总部",
        "relation_type": "HEADQUARTER",
    }
    pay.add_profit_receiver(SUB, receiver)

    def share(no, amount):
        return pay.profit_share(
            SUB,
            tx,
            no,
            [
                {
                    "type": "MERCHANT_ID",
                    "account": app.config["PAY_MCH_ID"],
                    "amount": amount,
                    "description": "品牌分成",
                }
            ],
        )

    with pytest.raises(WeChatAPIError) as info:
        share("PS1", 3001)
    assert info.value.errcode == "INVALID_REQUEST" and "30%" in info.value.errmsg
    first = share("PS2", 3000)
    assert first["status"] == "FINISHED"
    assert share("PS2", 3000)["order_id"] == first["order_id"]  # idempotent out_order_no
    with pytest.raises(WeChatAPIError):
        share("PS3", 1)  # a single share ends the order's sharing
    assert pay.query_profit_share(SUB, tx, "PS2")["order_id"] == first["order_id"]


def test_profit_sharing_needs_hmac_and_a_sharing_order(app, sandbox, client):
    _order("SY0005", fee=1000)
    tx = client.post("/_sandbox/pay/SY0005/succeed").get_json()["transaction_id"]
    with pytest.raises(WeChatAPIError):
        pay.profit_share(
            SUB,
            tx,
            "PS9",
            [{"type": "MERCHANT_ID", "account": "1", "amount": 1, "description": "x"}],
        )
    md5 = {
        "appid": app.config["PAY_APPID"],
        "mch_id": app.config["PAY_MCH_ID"],
        "transaction_id": tx,
        "out_order_no": "PS8",
        "nonce_str": "n",
        "receivers": "[]",
    }
    assert _post_signed(client, app, "secapi/pay/profitsharing", md5)["return_code"] == "FAIL"
    pay.finish_profit_share(SUB, tx, "PF1")


def test_bill_in_yuan_ready_the_next_day_after_ten(sandbox, client):
    _order("SY0006", fee=1234)
    _order("SY0007", fee=100005)
    client.post("/_sandbox/pay/SY0006/succeed")
    client.post("/_sandbox/pay/SY0007/succeed")
    pay.refund(SUB, "SY0007", "RF7", 100005, 5)
    day = sandbox.today().replace("-", "")
    with pytest.raises(WeChatAPIError):
        pay.download_bill(day)  # not ready on the day itself
    sandbox.advance(34 * 3600 + 1)
    text = pay.download_bill(day)
    lines = text.strip().split("\r\n")
    assert lines[0].startswith("交易时间,公众账号ID,商户号,特约商户号")
    assert "`12.34" in lines[1] and "`1000.05" in lines[2]
    assert "REFUND" in lines[3] and lines[4].startswith("总交易单数")
    parsed = pay.parse_bill(text)
    assert [r["settlement_fen"] for r in parsed["rows"][:2]] == [1234, 100005]
    assert parsed["totals"]["count"] == 3
    assert parsed["totals"]["settlement_fen"] == 101239
    assert parsed["totals"]["refund_fen"] == 5
    with pytest.raises(WeChatAPIError):
        pay.download_bill("20000101")  # no bill that day


def test_pay_5xx_is_unavailable(sandbox, sbx):
    sbx.post("faults", {"api": "unifiedorder", "http_status": 503})
    with pytest.raises(WeChatUnavailable):
        _order()
    sbx.post("faults", {"api": "orderquery", "errcode": "SYSTEMERROR"})
    with pytest.raises(WeChatUnavailable):
        pay.query_order(SUB, "SY0001")


def test_closeorder_only_five_minutes_after_the_order(sandbox):
    """关闭订单: 订单生成后不能马上调用关单接口,最短调用时间间隔为5分钟 (no code of its own:
    SYSTEMERROR, which the wrappers treat as try-again); a closed order is ORDERCLOSED, a
    paid one ORDERPAID, an unknown one ORDERNOTEXIST."""
    _order("SYC001")
    sandbox.advance(299)
    with pytest.raises(WeChatUnavailable) as info:
        pay.close_order(SUB, "SYC001")
    assert info.value.errcode == "SYSTEMERROR"
    assert pay.query_order(SUB, "SYC001")["trade_state"] == "NOTPAY"
    sandbox.advance(1)
    pay.close_order(SUB, "SYC001")
    assert pay.query_order(SUB, "SYC001")["trade_state"] == "CLOSED"
    with pytest.raises(WeChatAPIError) as info:
        pay.close_order(SUB, "SYC001")
    assert info.value.errcode == "ORDERCLOSED"
    with pytest.raises(WeChatAPIError) as info:
        pay.close_order(SUB, "SYC404")
    assert info.value.errcode == "ORDERNOTEXIST"


@pytest.mark.parametrize(
    "no, body",
    [
        ("S" * 33, "ok"),  # out_trade_no String(32)
        ("SY01", "ok"),  # at least 6 characters
        ("SY 0001", "ok"),  # digits, letters and _-|* only
    ],
)
def test_unifiedorder_refuses_a_bad_out_trade_no(sandbox, no, body):
    with pytest.raises(WeChatAPIError) as info:
        pay.create_jsapi_order(SUB, no, 100, body, "oSBXcustomer")
    assert info.value.errcode == "INVALID_REQUEST"
    assert sandbox.data["orders"] == {}


def test_body_is_at_most_127_bytes(app, sandbox, client):
    """body String(127): the sandbox refuses 128 UTF-8 bytes; our wrapper cuts a long
    Chinese description to fit instead of sending it (120 characters were 360 bytes)."""
    fields = {
        "appid": app.config["PAY_APPID"],
        "mch_id": app.config["PAY_MCH_ID"],
        "sub_mch_id": SUB,
        "nonce_str": "n",
        "body": "金" * 42 + "ab",  # 128 bytes
        "out_trade_no": "SYB001",
        "total_fee": "100",
        "spbill_create_ip": "127.0.0.1",
        "notify_url": "https://example.com/n",
        "trade_type": "JSAPI",
        "sub_openid": "oSBX",
    }
    answer = _post_signed(client, app, "pay/unifiedorder", fields)
    assert (answer["result_code"], answer["err_code"]) == ("FAIL", "INVALID_REQUEST")
    pay.create_jsapi_order(SUB, "SYB002", 100, "足金古法手镯" * 30, "oSBXcustomer")
    stored = sandbox.data["orders"]["SYB002"]["body"]
    assert len(stored.encode("utf-8")) <= 127 and stored.startswith("足金古法手镯")
    assert pay.fit_body("金" * 43) == "金" * 42  # never half a character


def test_finishing_a_sharing_order_releases_the_whole_amount_once(app, sandbox, client):
    _order("SY0006", fee=8800, sharing=True)
    tx = client.post("/_sandbox/pay/SY0006/succeed").get_json()["transaction_id"]
    done = pay.finish_profit_share(SUB, tx, "PF1")
    assert done["status"] == "FINISHED" and int(done["amount"]) == 8800
    assert done["receivers"] == "[]"
    assert pay.finish_profit_share(SUB, tx, "PF1")["order_id"] == done["order_id"]  # idempotent
    with pytest.raises(WeChatAPIError) as info:
        pay.finish_profit_share(SUB, tx, "PF2")
    assert info.value.errcode == "INVALID_REQUEST"
    assert sandbox.data["shares"]["PF1"]["receivers"] == []
