"""WeChat Pay APIv3 (partner mode) between the app's client and the emulator.

The client is ``wechatpayv3`` signing with the merchant's key; the emulator verifies that
signature, serial and timestamp as WeChat does and signs its answers with its own key,
which the client checks. Official sample values: tests/fixtures/wechat_pay_v3_samples.json.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from wechatpayv3.utils import rsa_sign

from app.wechat import pay, pay_v3
from app.wechat.errors import WeChatAPIError, WeChatUnavailable
from app.wechat.pay_v3_client import v3_client
from app.wechat.pay_v3_keys import sandbox_identity
from app.wechat.sandbox import pay_v3_auth

pytestmark = pytest.mark.usefixtures("pay_v3")
SUB = "1900000201"
SAMPLES = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "wechat_pay_v3_samples.json").read_text("utf-8")
)
JSAPI = "/_sandbox/mch/v3/pay/partner/transactions/jsapi"


def verifies(public_key, message: str, signature: str) -> bool:
    try:
        public_key.verify(
            base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:  # noqa: BLE001 - any failure means "does not verify"
        return False
    return True


def _order(no="SY3001", fee=1234, sharing=False):
    return pay.create_jsapi_order(
        SUB, no, fee, "18K 金戒指", "oSBXcustomer", profit_sharing=sharing
    )


def test_pay_sign_joins_fields_as_the_official_sample(app, sandbox):
    sample = SAMPLES["pay_sign_message"]
    fields = [sample[k] for k in ("appId", "timeStamp", "nonceStr", "package")]
    signature = v3_client().sign(fields)
    assert verifies(sandbox_identity().merchant_public, sample["message"], signature)


def test_jsapi_partner_order_and_rsa_pay_sign(app, sandbox):
    params = _order(sharing=True)
    assert params["signType"] == "RSA" and params["package"] == f"prepay_id={params['prepay_id']}"
    assert params["appId"] == app.config["MP_APPID"]  # the mini-program pays (sub_openid)
    message = "".join(f"{params[k]}\n" for k in ("appId", "timeStamp", "nonceStr", "package"))
    assert verifies(sandbox_identity().merchant_public, message, params["paySign"])
    order = sandbox.data["orders"]["SY3001"]
    assert order["api"] == "v3" and order["sub_mch_id"] == SUB and order["total_fee"] == 1234
    assert order["sub_openid"] == "oSBXcustomer" and order["profit_sharing"] == "Y"
    assert order["sub_appid"] == app.config["MP_APPID"]
    assert _order(sharing=True)["prepay_id"] == params["prepay_id"]  # same order, same prepay
    with pytest.raises(WeChatAPIError) as info:
        _order(fee=999, sharing=True)
    assert info.value.errcode == "OUT_TRADE_NO_USED"


def test_query_close_and_unknown_orders(app, sandbox):
    _order()
    assert pay.query_order(SUB, "SY3001")["trade_state"] == "NOTPAY"
    with pytest.raises(WeChatUnavailable):  # 关单 at least 5 minutes after the order
        pay.close_order(SUB, "SY3001")
    sandbox.advance(301)
    pay.close_order(SUB, "SY3001")
    assert pay.query_order(SUB, "SY3001")["trade_state"] == "CLOSED"
    with pytest.raises(WeChatAPIError) as info:
        pay.query_order(SUB, "NOSUCHORDER")
    assert info.value.errcode == "ORDERNOTEXIST"  # v3 ORDER_NOT_EXIST, named as v2 names it
    with pytest.raises(WeChatAPIError) as info:
        pay.query_order("1900000999", "SY3001")  # another sub-merchant's order is not found
    assert info.value.errcode == "ORDERNOTEXIST"


def _authorization(body: str, *, key_pem=None, serial=None, stamp=None) -> str:
    ident = sandbox_identity()
    from wechatpayv3.utils import load_private_key

    key = load_private_key(key_pem or ident.merchant_key_pem)
    stamp = str(int(time.time()) if stamp is None else stamp)
    nonce = "N0NCE0000000000000000000000000AB"
    message = f"POST\n/v3/pay/partner/transactions/jsapi\n{stamp}\n{nonce}\n{body}\n"
    return (
        f'WECHATPAY2-SHA256-RSA2048 mchid="{pay_v3_auth.state().config["PAY_MCH_ID"]}",'
        f'nonce_str="{nonce}",signature="{rsa_sign(key, message)}",timestamp="{stamp}",'
        f'serial_no="{serial or ident.merchant_serial}"'
    )


def _other_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.mark.parametrize(
    "case, message",
    [
        ("ok", None),
        ("missing", pay_v3_auth.BAD_AUTH),
        ("other_key", pay_v3_auth.BAD_SIGNATURE),
        ("wrong_serial", pay_v3_auth.BAD_SERIAL),
        ("stale", pay_v3_auth.STALE),
        ("future", pay_v3_auth.STALE),
    ],
)
def test_emulator_refuses_requests_as_wechat(app, client, sandbox, case, message):
    body = json.dumps({"sp_appid": "x"})
    with app.app_context():
        headers = {
            "ok": lambda: {"Authorization": _authorization(body)},
            "missing": lambda: {},
            "other_key": lambda: {"Authorization": _authorization(body, key_pem=_other_key_pem())},
            "wrong_serial": lambda: {"Authorization": _authorization(body, serial="ABCDEF0123")},
            "stale": lambda: {"Authorization": _authorization(body, stamp=int(time.time()) - 330)},
            "future": lambda: {"Authorization": _authorization(body, stamp=int(time.time()) + 330)},
        }[case]()
    res = client.post(JSAPI, data=body, headers={**headers, "Content-Type": "application/json"})
    if message is None:  # well signed: now the fields are judged
        assert res.status_code == 400 and res.get_json()["code"] == "PARAM_ERROR"
        return
    assert res.status_code == 401
    assert res.get_json() == {"code": "SIGN_ERROR", "message": message}


def test_client_refuses_an_answer_not_signed_by_wechat_pay(app, sandbox, monkeypatch):
    forged = dataclasses.replace(
        sandbox_identity(),
        platform_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    monkeypatch.setattr(pay_v3_auth, "identity", lambda: forged)
    with pytest.raises(WeChatUnavailable) as info:
        _order()
    assert "verify the signature" in str(info.value)


def test_certificate_mode_downloads_the_platform_certificate(app, sandbox, tmp_path):
    saved = {k: app.config.get(k) for k in ("PAY_V3_VERIFY", "PAY_V3_PLATFORM_CERT_DIR")}
    app.config.update(PAY_V3_VERIFY="certificate", PAY_V3_PLATFORM_CERT_DIR=str(tmp_path))
    try:
        params = _order()
        assert params["signType"] == "RSA"
        assert [p.name for p in tmp_path.iterdir()] == [sandbox_identity().platform_serial + ".pem"]
        assert pay.query_order(SUB, "SY3001")["trade_state"] == "NOTPAY"
    finally:
        app.config.update(saved)


def test_refund_is_processing_then_its_notify_says_success(app, sandbox, client):
    _order(fee=5000)
    sandbox.succeed_order("SY3001")
    with pytest.raises(WeChatAPIError) as info:
        pay.refund(SUB, "SY3001", "RF3001", 4999, 100)
    assert info.value.errcode == "INVALID_REQUEST"  # amount.total must be the order's
    answer = pay.refund(SUB, "SY3001", "RF3001", 5000, 1500, reason="尺寸不合")
    assert answer["status"] == "PROCESSING" and answer["amount"]["refund"] == 1500
    assert pay.refund(SUB, "SY3001", "RF3001", 5000, 1500)["refund_id"] == answer["refund_id"]
    notify = sandbox.data["deliveries"][-1]
    assert notify["kind"] == "pay_notify_v3" and notify["meta"] == {"out_refund_no": "RF3001"}
    assert json.loads(notify["body"])["event_type"] == "REFUND.SUCCESS"
    assert pay.query_refund(SUB, "RF3001")["status"] == "SUCCESS"
    with pytest.raises(WeChatAPIError) as info:
        pay.refund(SUB, "SY3001", "RF3002", 5000, 3501)
    assert info.value.errcode == "INVALID_REQUEST"  # beyond what is left


def test_profit_sharing_request_query_return_unfreeze_receivers(app, sandbox):
    _order(fee=10000, sharing=True)
    tid = sandbox.succeed_order("SY3001")["transaction_id"]
    hq = {"type": "MERCHANT_ID", "account": "1900000109", "relation_type": "HEADQUARTER"}
    with pytest.raises(WeChatAPIError) as info:  # not added yet
        pay.profit_share(SUB, tid, "PS3001", [{**hq, "amount": 1000, "description": "总部分成"}])
    assert info.value.errcode == "INVALID_REQUEST"
    pay.add_profit_receiver(SUB, {**hq, "name": "思语总部"})  # the name RSA-encrypted
    with pytest.raises(WeChatAPIError):  # over 30 %
        pay.profit_share(
            SUB,
            tid,
            "PS3001",
            [
                {
                    "type": "MERCHANT_ID",
                    "account": "1900000109",
                    "amount": 3001,
                    "description": "总部分成",
                }
            ],
        )
    share = pay_v3.call(
        "v3/profitsharing/orders",
        v3_client().profitsharing_order,
        transaction_id=tid,
        out_order_no="PS3001",
        receivers=[
            {
                "type": "MERCHANT_ID",
                "account": "1900000109",
                "amount": 1000,
                "description": "总部分成",
            }
        ],
        unfreeze_unsplit=False,
        sub_mchid=SUB,
    )
    assert share["state"] == "FINISHED" and share["receivers"][0]["result"] == "SUCCESS"
    assert pay.query_profit_share(SUB, tid, "PS3001")["order_id"] == share["order_id"]
    back = pay_v3.return_profit_share(SUB, "PS3001", "RT3001", "1900000109", 400, "用户退款")
    assert back["result"] == "SUCCESS" and back["amount"] == 400
    with pytest.raises(WeChatAPIError):  # more than the receiver got
        pay_v3.return_profit_share(SUB, "PS3001", "RT3002", "1900000109", 601, "用户退款")
    done = pay.finish_profit_share(SUB, tid, "PS3002")
    assert done["receivers"][0]["account"] == SUB and done["receivers"][0]["amount"] == 9000
    with pytest.raises(WeChatAPIError) as info:
        pay.profit_share(
            SUB,
            tid,
            "PS3003",
            [
                {
                    "type": "MERCHANT_ID",
                    "account": "1900000109",
                    "amount": 1,
                    "description": "总部分成",
                }
            ],
        )
    assert "已完结" in info.value.errmsg
    pay_v3.delete_profit_receiver(SUB, hq)
    assert not any(k.startswith(SUB) for k in sandbox.data["receivers"])


def test_chain_brand_sharing_uses_the_brand_product(app, sandbox):
    """With SIYU_PAY_V3_BRAND_MCHID the same calls go to 连锁品牌分账: the brand's receiver
    list, the brand's cap (20 % here, not 30 %), ``finish`` ends the order's sharing."""
    app.config["PAY_V3_BRAND_MCHID"] = "1900000108"
    try:
        _order(fee=10000, sharing=True)
        tid = sandbox.succeed_order("SY3001")["transaction_id"]
        hq = {"type": "MERCHANT_ID", "account": "1900000109", "relation_type": "HEADQUARTER"}
        pay.add_profit_receiver(SUB, hq)
        assert "1900000108|MERCHANT_ID|1900000109" in sandbox.data["receivers"]
        receiver = {"type": "MERCHANT_ID", "account": "1900000109", "description": "总部分成"}
        with pytest.raises(WeChatAPIError) as info:  # 25 %: within 30 %, over the brand's 20 %
            pay.profit_share(SUB, tid, "PS3001", [{**receiver, "amount": 2500}])
        assert "20%" in info.value.errmsg
        share = pay.profit_share(SUB, tid, "PS3002", [{**receiver, "amount": 2000}])
        assert share["state"] == "FINISHED"
        assert pay.query_profit_share(SUB, tid, "PS3002")["order_id"] == share["order_id"]
        assert sandbox.data["orders"]["SY3001"]["sharing"] == "FINISHED"
        back = pay_v3.return_profit_share(
            SUB, "PS3002", "RT3001", "1900000109", 500, "用户退款", order_id=share["order_id"]
        )
        assert back["amount"] == 500
        pay_v3.delete_profit_receiver(SUB, hq)
        assert "1900000108|MERCHANT_ID|1900000109" not in sandbox.data["receivers"]
    finally:
        app.config["PAY_V3_BRAND_MCHID"] = None
