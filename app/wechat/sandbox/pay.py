"""Sandbox WeChat Pay APIv2 (``/_sandbox/mch/...``): orders, refunds and payment notifies.

Requests are XML signed with ``PAY_KEY`` (MD5, or HMAC-SHA256 when ``sign_type`` says so)
and a bad signature is refused like WeChat does (``return_code FAIL``, 签名错误). Answers
are signed too. ``succeed_order`` is the customer paying: it marks the order paid and
sends the signed notify to the order's ``notify_url`` (see ``delivery``). Field rules and
``closeorder`` live in ``pay_rules``; the refund rules, shared with APIv3, in ``refund_book``;
profit sharing and bills in ``pay_sharing``.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import xmltodict
from flask import Response, request
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac, dict_to_xml

from app.wechat.sandbox import refund_book
from app.wechat.sandbox.blueprint import SandboxFault, apply_fault, bp, state
from app.wechat.sandbox.state import SHANGHAI, SandboxState

P = "/mch/"
ORDER_FIELDS = (
    "total_fee",
    "body",
    "sub_mch_id",
    "trade_type",
    "openid",
    "sub_openid",
    "notify_url",
)
# the refund book's refusals in APIv2's words (err_code, err_code_des)
V2_REFUSALS = {
    refund_book.TOTAL_DIFFERS: ("INVALID_REQUEST", "total_fee does not match the order"),
    refund_book.REUSED: ("INVALID_REQUEST", "out_refund_no reused with other values"),
    refund_book.TOO_MUCH: ("NOTENOUGH", "refund exceeds the order's remaining amount"),
}


def _xml(fields: dict, sign_type: str = "MD5") -> Response:
    key = state().config["PAY_KEY"]
    fields = {k: v for k, v in fields.items() if v is not None and v != ""}
    if fields.get("return_code") == "SUCCESS":
        sign = (calculate_signature_hmac if sign_type == "HMAC-SHA256" else calculate_signature)(
            fields, key
        )
    else:
        sign = None
    return Response(dict_to_xml(fields, sign), mimetype="application/xml")


def pay_fail(return_msg: str) -> Response:
    """Communication-level failure (bad XML, bad signature, wrong merchant)."""
    return _xml({"return_code": "FAIL", "return_msg": return_msg})


def pay_error(err_code: str, des: str, **extra) -> Response:
    """Business-level failure: ``result_code FAIL`` with WeChat's ``err_code``."""
    cfg = state().config
    return _xml(
        {
            "return_code": "SUCCESS",
            "return_msg": "OK",
            "result_code": "FAIL",
            "err_code": err_code,
            "err_code_des": des,
            "appid": cfg["PAY_APPID"],
            "mch_id": cfg["PAY_MCH_ID"],
            "nonce_str": secrets.token_hex(16),
            **extra,
        }
    )


def pay_ok(sign_type: str = "MD5", **fields) -> Response:
    cfg = state().config
    body = {
        "return_code": "SUCCESS",
        "return_msg": "OK",
        "result_code": "SUCCESS",
        "appid": cfg["PAY_APPID"],
        "mch_id": cfg["PAY_MCH_ID"],
        "nonce_str": secrets.token_hex(16),
    }
    body.update(fields)
    return _xml(body, sign_type)


def pay_request(api: str, *, hmac_required: bool = False) -> dict:
    """Parse and verify a signed XML request; ``SandboxFault`` with WeChat's answer if bad."""
    apply_fault(api, xml=True)
    try:
        data = (xmltodict.parse(request.get_data() or b"<x/>") or {}).get("xml")
    except Exception:  # noqa: BLE001 - any parse failure is "XML format error"
        data = None
    if not isinstance(data, dict):
        raise SandboxFault(pay_fail("XML格式错误"))
    data = {k: (v or "") for k, v in data.items() if isinstance(v, str | type(None))}
    sign_type = data.get("sign_type") or "MD5"
    if hmac_required and sign_type != "HMAC-SHA256":
        raise SandboxFault(pay_fail("签名类型错误: HMAC-SHA256 required"))
    sign = data.pop("sign", "")
    key = state().config["PAY_KEY"]
    fn = calculate_signature_hmac if sign_type == "HMAC-SHA256" else calculate_signature
    if not sign or sign != fn(data, key):
        raise SandboxFault(pay_fail("签名错误"))
    if data.get("mch_id") != state().config["PAY_MCH_ID"]:
        raise SandboxFault(pay_fail("mch_id参数格式错误"))
    return data


def _int(data: dict, name: str) -> int:
    try:
        value = int(data.get(name) or "")
    except ValueError:
        raise SandboxFault(pay_error("PARAM_ERROR", f"{name} must be an integer")) from None
    if value <= 0:
        raise SandboxFault(pay_error("PARAM_ERROR", f"{name} must be positive"))
    return value


def find_order(st: SandboxState, data: dict) -> dict | None:
    """The order named by ``transaction_id`` (first) or ``out_trade_no``."""
    if data.get("transaction_id"):
        return next(
            (
                o
                for o in st.data["orders"].values()
                if o.get("transaction_id") == data["transaction_id"]
            ),
            None,
        )
    return st.data["orders"].get(data.get("out_trade_no") or "")


def known_order(st: SandboxState, data: dict) -> dict:
    """``find_order``'s order; ``SandboxFault`` ``ORDERNOTEXIST`` when there is none."""
    order = find_order(st, data)
    if order is None:
        raise SandboxFault(pay_error("ORDERNOTEXIST", "order does not exist"))
    return order


def _order_fields(order: dict) -> dict:
    return {
        k: order.get(k)
        for k in (
            "sub_appid",
            "sub_mch_id",
            "openid",
            "sub_openid",
            "trade_type",
            "out_trade_no",
            "total_fee",
            "attach",
            "transaction_id",
            "time_end",
            "trade_state",
        )
    }


@bp.post(P + "pay/unifiedorder")
def unifiedorder():
    data = pay_request("pay/unifiedorder")
    st = state()
    missing = [
        f
        for f in (
            "appid",
            "body",
            "out_trade_no",
            "total_fee",
            "spbill_create_ip",
            "notify_url",
            "trade_type",
            "sub_mch_id",
        )
        if not data.get(f)
    ]
    if missing:  # 统一下单 错误码: LACK_PARAMS 缺少参数
        return pay_error("LACK_PARAMS", "missing " + ", ".join(missing))
    from app.wechat.sandbox.pay_rules import order_field_problem

    problem = order_field_problem(data)
    if problem:  # 统一下单 错误码: INVALID_REQUEST 参数格式有误或者未按规则上传
        return pay_error("INVALID_REQUEST", problem)
    if data["appid"] != st.config["PAY_APPID"]:
        return pay_error("APPID_NOT_EXIST", "appid does not exist")
    total_fee = _int(data, "total_fee")
    if data["trade_type"] == "JSAPI" and not (data.get("openid") or data.get("sub_openid")):
        return pay_error("PARAM_ERROR", "JSAPI needs openid or sub_openid")
    with st.lock:
        existing = st.data["orders"].get(data["out_trade_no"])
        if existing:
            if existing["trade_state"] in ("SUCCESS", "REFUND"):
                return pay_error("ORDERPAID", "该订单已支付")
            if existing["trade_state"] == "CLOSED":
                return pay_error("ORDERCLOSED", "该订单已关闭")
            if any(str(existing.get(f) or "") != str(data.get(f) or "") for f in ORDER_FIELDS):
                return pay_error("INVALID_REQUEST", "201 商户订单号重复")
            order = existing
        else:
            order = {
                f: data.get(f, "")
                for f in ORDER_FIELDS
                + ("sub_appid", "out_trade_no", "attach", "profit_sharing", "spbill_create_ip")
            }
            order.update(
                total_fee=total_fee,
                prepay_id="wx" + secrets.token_hex(15),
                trade_state="NOTPAY",
                created_at=st.now(),
                transaction_id="",
                time_end="",
                paid_at=None,
                refunded_fee=0,
                shared_fee=0,
                sharing="NONE",
            )
            st.data["orders"][data["out_trade_no"]] = order
    return pay_ok(
        sub_appid=order.get("sub_appid"),
        sub_mch_id=order["sub_mch_id"],
        trade_type=order["trade_type"],
        prepay_id=order["prepay_id"],
    )


@bp.post(P + "pay/orderquery")
def orderquery():
    data = pay_request("pay/orderquery")
    st = state()
    with st.lock:
        order = known_order(st, data)
        fields = _order_fields(order)
    if order["trade_state"] in ("SUCCESS", "REFUND"):
        fields.update(
            cash_fee=order["total_fee"],
            fee_type="CNY",
            bank_type="OTHERS",
            is_subscribe="N",
            trade_state_desc="支付成功",
        )
    else:
        fields.pop("transaction_id", None)
    return pay_ok(**fields)


@bp.post(P + "secapi/pay/refund")
def refund():
    data = pay_request("secapi/pay/refund")  # the sandbox accepts calls without a cert
    st = state()
    with st.lock:
        order = known_order(st, data)
        if order["trade_state"] not in ("SUCCESS", "REFUND"):
            return pay_error("TRADE_STATE_ERROR", "order is not paid")
        out_refund_no = data.get("out_refund_no") or ""
        if not out_refund_no:
            return pay_error("PARAM_ERROR", "missing out_refund_no")
        total_fee, refund_fee = _int(data, "total_fee"), _int(data, "refund_fee")
        refusal, item, _new = refund_book.take_refund(
            st, order, out_refund_no, total_fee, refund_fee, "SUCCESS"
        )
        if item is None:
            return pay_error(*V2_REFUSALS[refusal or ""])
    return pay_ok(
        sub_mch_id=item["sub_mch_id"],
        transaction_id=item["transaction_id"],
        out_trade_no=item["out_trade_no"],
        out_refund_no=out_refund_no,
        refund_id=item["refund_id"],
        refund_fee=item["refund_fee"],
        total_fee=item["total_fee"],
        cash_fee=item["total_fee"],
        cash_refund_fee=item["refund_fee"],
    )


@bp.post(P + "pay/refundquery")
def refundquery():
    data = pay_request("pay/refundquery")
    st = state()
    with st.lock:
        rows = [
            r
            for r in st.data["refunds"].values()
            if (data.get("out_refund_no") and r["out_refund_no"] == data["out_refund_no"])
            or (data.get("refund_id") and r["refund_id"] == data["refund_id"])
            or (data.get("out_trade_no") and r["out_trade_no"] == data["out_trade_no"])
            or (data.get("transaction_id") and r["transaction_id"] == data["transaction_id"])
        ]
    if not rows:
        return pay_error("REFUNDNOTEXIST", "refund does not exist")
    fields = {
        "transaction_id": rows[0]["transaction_id"],
        "out_trade_no": rows[0]["out_trade_no"],
        "total_fee": rows[0]["total_fee"],
        "cash_fee": rows[0]["total_fee"],
        "refund_count": len(rows),
        "refund_fee": sum(r["refund_fee"] for r in rows),
    }
    for i, r in enumerate(rows):
        fields.update(
            {
                f"out_refund_no_{i}": r["out_refund_no"],
                f"refund_id_{i}": r["refund_id"],
                f"refund_fee_{i}": r["refund_fee"],
                f"refund_status_{i}": "SUCCESS",
            }
        )
    return pay_ok(sub_mch_id=rows[0]["sub_mch_id"], **fields)


def succeed_order(st: SandboxState, out_trade_no: str) -> dict:
    """The customer pays: mark the order paid, send the signed notify, return the result."""
    from app.wechat.sandbox.delivery import deliver

    cfg = st.config
    with st.lock:
        order = st.data["orders"].get(out_trade_no)
        if order is None:
            raise KeyError(out_trade_no)
        if order["trade_state"] != "NOTPAY":
            raise ValueError(f"order is {order['trade_state']}")
        now = st.now()
        stamp = datetime.fromtimestamp(now, SHANGHAI)
        order.update(
            trade_state="SUCCESS",
            paid_at=now,
            transaction_id="4200"
            + stamp.strftime("%Y%m%d")
            + "".join(secrets.choice("0123456789") for _ in range(16)),
            time_end=stamp.strftime("%Y%m%d%H%M%S"),
            sharing="FROZEN" if order.get("profit_sharing") == "Y" else "NONE",
        )
    if order.get("api") == "v3":
        from app.wechat.sandbox.pay_v3 import notify_paid

        result = notify_paid(st, order)
        return {
            "out_trade_no": out_trade_no,
            "transaction_id": order["transaction_id"],
            "total_fee": order["total_fee"],
            "delivery": result,
        }
    with st.lock:
        notify = {
            "appid": cfg["PAY_APPID"],
            "mch_id": cfg["PAY_MCH_ID"],
            "sub_appid": order.get("sub_appid"),
            "sub_mch_id": order["sub_mch_id"],
            "nonce_str": secrets.token_hex(16),
            "result_code": "SUCCESS",
            "return_code": "SUCCESS",
            "openid": order.get("openid") or "oSBXspopenid",
            "sub_openid": order.get("sub_openid"),
            "is_subscribe": "N",
            "sub_is_subscribe": "N",
            "trade_type": order["trade_type"],
            "bank_type": "OTHERS",
            "total_fee": order["total_fee"],
            "cash_fee": order["total_fee"],
            "fee_type": "CNY",
            "transaction_id": order["transaction_id"],
            "out_trade_no": out_trade_no,
            "attach": order.get("attach"),
            "time_end": order["time_end"],
        }
    notify = {k: v for k, v in notify.items() if v not in (None, "")}
    body = dict_to_xml(notify, calculate_signature(notify, cfg["PAY_KEY"]))
    item = st.queue_delivery(
        "pay_notify",
        order["notify_url"],
        body,
        "application/xml",
        meta={"out_trade_no": out_trade_no, "transaction_id": order["transaction_id"]},
    )
    result = deliver(st, item)
    st.ensure_worker()
    return {
        "out_trade_no": out_trade_no,
        "transaction_id": order["transaction_id"],
        "total_fee": order["total_fee"],
        "delivery": result,
    }
