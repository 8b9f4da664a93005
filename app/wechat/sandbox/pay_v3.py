"""Sandbox WeChat Pay APIv3, partner mode: JSAPI orders, query, close, refunds, notifies.

Routes under ``/_sandbox/mch/v3/`` (the client's gateway is rewritten there), each
request verified by ``pay_v3_auth.v3_request`` and answered signed. Orders live beside
the v2 ones in ``state.data["orders"]`` (same fields plus ``api: "v3"``), so the
control API, bills and profit sharing see both. Rules and codes from the 服务商 docs:

- JSAPI 下单 (``/v3/pay/partner/transactions/jsapi``): ``sp_appid``/``sp_mchid`` must be
  ours (400 ``APPID_MCHID_NOT_MATCH`` / ``MCH_NOT_EXISTS``); missing fields, a bad
  ``out_trade_no`` (6–32 of 0-9 A-Z a-z _-|*) or a description over 127 bytes are 400
  ``PARAM_ERROR``; the same ``out_trade_no`` with other values is 403
  ``OUT_TRADE_NO_USED``; a paid one 400 ``ORDERPAID``, a closed one 400 ``ORDER_CLOSED``.
- 查询订单: 404 ``ORDER_NOT_EXIST``. 关闭订单: 204; the v2 emulator's 5-minute rule holds
  (500 ``SYSTEM_ERROR``: try later).
- 退款 (``/v3/refund/domestic/refunds``): 404 ``RESOURCE_NOT_EXISTS`` for an unknown
  order, 400 ``INVALID_REQUEST`` when ``amount.total`` is not the order's or the refund
  exceeds what is left; the answer says ``PROCESSING`` and the refund notify
  (``REFUND.SUCCESS``) follows at once.
- 支付通知: ``TRANSACTION.SUCCESS`` with the transaction encrypted; re-sent on the
  schedule of ``state.NOTIFY_RETRY_SCHEDULE`` until answered 200/204.
"""

from __future__ import annotations

import secrets

from flask import request

from app.wechat.pay_v3 import as_dict
from app.wechat.sandbox.blueprint import bp, state
from app.wechat.sandbox.pay_rules import CLOSE_AFTER_SECONDS, order_field_problem
from app.wechat.sandbox.pay_v3_auth import (
    answer,
    encrypt_resource,
    identity,
    notify_envelope,
    rfc3339,
    v3_error,
    v3_request,
)
from app.wechat.sandbox.state import SandboxState

P3 = "/mch/v3/"
NOTIFY_V3 = "pay_notify_v3"


def transaction(order: dict, cfg) -> dict:
    """An order as APIv3 shows it (query answer and notify resource)."""
    body = {
        "sp_appid": cfg["PAY_APPID"],
        "sp_mchid": cfg["PAY_MCH_ID"],
        "sub_appid": order.get("sub_appid") or None,
        "sub_mchid": order["sub_mch_id"],
        "out_trade_no": order["out_trade_no"],
        "trade_state": order["trade_state"],
        "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}.get(
            order["trade_state"], order["trade_state"]
        ),
        "attach": order.get("attach") or "",
        "payer": {"sub_openid": order.get("sub_openid") or ""},
        "amount": {"total": order["total_fee"], "currency": "CNY"},
    }
    if order.get("transaction_id"):
        body.update(
            transaction_id=order["transaction_id"],
            trade_type="JSAPI",
            bank_type="OTHERS",
            success_time=rfc3339(order["paid_at"]),
        )
        body["amount"].update(payer_total=order["total_fee"], payer_currency="CNY")
    return {k: v for k, v in body.items() if v is not None}


def _missing(data: dict) -> list[str]:
    amount, payer = as_dict(data.get("amount")), as_dict(data.get("payer"))
    names = [
        f
        for f in ("sp_appid", "sp_mchid", "sub_mchid", "description", "out_trade_no", "notify_url")
        if not data.get(f)
    ]
    total = amount.get("total")
    if type(total) is not int or total <= 0:
        names.append("amount.total")
    if not (payer.get("sub_openid") or payer.get("sp_openid")):
        names.append("payer.sub_openid")
    return names


@bp.post(P3 + "pay/partner/transactions/jsapi")
def v3_jsapi():
    data = v3_request("pay/partner/transactions/jsapi")
    st = state()
    cfg = st.config
    missing = _missing(data)
    if missing:
        return v3_error(400, "PARAM_ERROR", "缺少参数或参数格式错误: " + ", ".join(missing))
    if data["sp_mchid"] != cfg["PAY_MCH_ID"]:
        return v3_error(400, "MCH_NOT_EXISTS", "商户号不存在")
    if data["sp_appid"] != cfg["PAY_APPID"]:
        return v3_error(400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配")
    problem = order_field_problem(
        {"out_trade_no": data["out_trade_no"], "body": data["description"]}
    )
    if problem:
        return v3_error(400, "PARAM_ERROR", problem)
    settle = as_dict(data.get("settle_info"))
    fields = {
        "sub_mch_id": data["sub_mchid"],
        "sub_appid": data.get("sub_appid") or "",
        "sub_openid": data["payer"].get("sub_openid") or "",
        "openid": data["payer"].get("sp_openid") or "",
        "total_fee": data["amount"]["total"],
        "body": data["description"],
        "notify_url": data["notify_url"],
        "trade_type": "JSAPI",
        "attach": data.get("attach") or "",
        "profit_sharing": "Y" if settle.get("profit_sharing") else "N",
    }
    with st.lock:
        order = st.data["orders"].get(data["out_trade_no"])
        if order:
            if order["trade_state"] in ("SUCCESS", "REFUND"):
                return v3_error(400, "ORDERPAID", "该订单已支付")
            if order["trade_state"] == "CLOSED":
                return v3_error(400, "ORDER_CLOSED", "订单已关闭")
            if any(str(order.get(k) or "") != str(v or "") for k, v in fields.items()):
                return v3_error(403, "OUT_TRADE_NO_USED", "商户订单号重复")
        else:
            order = {
                **fields,
                "api": "v3",
                "out_trade_no": data["out_trade_no"],
                "prepay_id": "wx" + secrets.token_hex(15),
                "trade_state": "NOTPAY",
                "created_at": st.now(),
                "transaction_id": "",
                "time_end": "",
                "paid_at": None,
                "refunded_fee": 0,
                "shared_fee": 0,
                "sharing": "NONE",
            }
            st.data["orders"][data["out_trade_no"]] = order
    return answer({"prepay_id": order["prepay_id"]})


def _find(st: SandboxState, out_trade_no: str = "", transaction_id: str = "") -> dict | None:
    orders = st.data["orders"].values()
    if transaction_id:
        return next((o for o in orders if o.get("transaction_id") == transaction_id), None)
    return st.data["orders"].get(out_trade_no)


def _owned(order: dict | None, sub_mchid: str) -> dict | None:
    return order if order and order["sub_mch_id"] == sub_mchid else None


def _query(api: str, out_trade_no: str, transaction_id: str = ""):
    """查询订单 by either number: the sub-merchant's own order, else 404 ORDER_NOT_EXIST."""
    v3_request(api)
    st = state()
    with st.lock:
        order = _owned(_find(st, out_trade_no, transaction_id), request.args.get("sub_mchid", ""))
        if order is None:
            return v3_error(404, "ORDER_NOT_EXIST", "订单不存在")
        return answer(transaction(order, st.config))


@bp.get(P3 + "pay/partner/transactions/out-trade-no/<out_trade_no>")
def v3_query_by_out_trade_no(out_trade_no: str):
    return _query("pay/partner/transactions/out-trade-no", out_trade_no)


@bp.get(P3 + "pay/partner/transactions/id/<transaction_id>")
def v3_query_by_id(transaction_id: str):
    return _query("pay/partner/transactions/id", "", transaction_id)


@bp.post(P3 + "pay/partner/transactions/out-trade-no/<out_trade_no>/close")
def v3_close(out_trade_no: str):
    data = v3_request("pay/partner/transactions/close")
    st = state()
    with st.lock:
        order = _owned(_find(st, out_trade_no), str(data.get("sub_mchid") or ""))
        if order is None:
            return v3_error(404, "ORDER_NOT_EXIST", "订单不存在")
        if order["trade_state"] in ("SUCCESS", "REFUND"):
            return v3_error(400, "ORDERPAID", "该订单已支付")
        if order["trade_state"] == "CLOSED":
            return v3_error(400, "ORDER_CLOSED", "订单已关闭")
        if st.now() - order["created_at"] < CLOSE_AFTER_SECONDS:
            return v3_error(
                500, "SYSTEM_ERROR", "订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟"
            )
        order["trade_state"] = "CLOSED"
    return answer(None)


def queue_v3_notify(st: SandboxState, url: str, body: str, meta: dict) -> dict:
    """Queue a v3 notify (signed when sent) and make the first attempt now."""
    from app.wechat.sandbox.delivery import deliver

    item = st.queue_delivery(NOTIFY_V3, url, body, "application/json", meta=meta)
    result = deliver(st, item)
    st.ensure_worker()
    return result


def notify_paid(st: SandboxState, order: dict) -> dict:
    """The TRANSACTION.SUCCESS notify of a v3 order just paid."""
    body = notify_envelope(
        "TRANSACTION.SUCCESS",
        "支付成功",
        "transaction",
        transaction(order, st.config),
        st.now(),
        st,
    )
    meta = {"out_trade_no": order["out_trade_no"], "transaction_id": order["transaction_id"]}
    return queue_v3_notify(st, order["notify_url"], body, meta)


@bp.get(P3 + "certificates")
def v3_certificates():
    """平台证书 (certificate mode): the platform certificate, encrypted with the APIv3 key."""
    v3_request("certificates")
    ident = identity()
    sealed = encrypt_resource(ident.platform_cert_pem, "certificate")
    now = state().now()
    item = {
        "serial_no": ident.platform_serial,
        "effective_time": rfc3339(now - 86400),
        "expire_time": rfc3339(now + 5 * 365 * 86400),
        "encrypt_certificate": {
            k: sealed[k] for k in ("algorithm", "nonce", "associated_data", "ciphertext")
        },
    }
    return answer({"data": [item]})
