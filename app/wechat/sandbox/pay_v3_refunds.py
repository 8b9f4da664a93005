"""Sandbox APIv3 refunds (``/v3/refund/domestic/refunds``) and their notify.

From 服务商 退款申请: ``sub_mchid``, ``out_refund_no``, ``out_trade_no`` or
``transaction_id`` and ``amount`` {``refund``, ``total``, ``currency``} are required (400
``PARAM_ERROR``); an unknown order is 404 ``RESOURCE_NOT_EXISTS``; an unpaid one, an
``amount.total`` that is not the order's, or a refund beyond what is left is 400
``INVALID_REQUEST``; the same ``out_refund_no`` again answers the same refund (other
values: 400 ``INVALID_REQUEST``). The answer says ``PROCESSING``; the ``REFUND.SUCCESS``
notify (resource ``refund``) goes to ``notify_url`` at once, re-sent until 200/204.
"""

from __future__ import annotations

from flask import request

from app.wechat.pay_v3 import as_dict
from app.wechat.sandbox import refund_book
from app.wechat.sandbox.blueprint import bp, state
from app.wechat.sandbox.pay_v3 import P3, _find, queue_v3_notify
from app.wechat.sandbox.pay_v3_auth import answer, notify_envelope, rfc3339, v3_error, v3_request

# the refund book's refusals in APIv3's words (all 400 INVALID_REQUEST)
V3_REFUSALS = {
    refund_book.TOTAL_DIFFERS: "订单金额与退款金额中的原订单金额不一致",
    refund_book.REUSED: "商户退款单号重复,请求参数不一致",
    refund_book.TOO_MUCH: "申请退款金额超过订单可退金额",
}


def refund_view(item: dict, cfg) -> dict:
    """A refund as APIv3 shows it (answer, query and notify resource)."""
    body = {
        "sp_mchid": cfg["PAY_MCH_ID"],
        "sub_mchid": item["sub_mch_id"],
        "refund_id": item["refund_id"],
        "out_refund_no": item["out_refund_no"],
        "transaction_id": item["transaction_id"],
        "out_trade_no": item["out_trade_no"],
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": rfc3339(item["created_at"]),
        "status": item["refund_status"],
        "refund_status": item["refund_status"],
        "amount": {
            "total": item["total_fee"],
            "refund": item["refund_fee"],
            "payer_total": item["total_fee"],
            "payer_refund": item["refund_fee"],
            "currency": "CNY",
        },
    }
    if item["refund_status"] == "SUCCESS":
        body["success_time"] = rfc3339(item["created_at"])
    return body


def _problem(data: dict) -> str | None:
    amount = as_dict(data.get("amount"))
    for name in ("sub_mchid", "out_refund_no"):
        if not data.get(name):
            return name
    if not (data.get("out_trade_no") or data.get("transaction_id")):
        return "out_trade_no"
    for name in ("refund", "total"):
        value = amount.get(name)
        if type(value) is not int or value <= 0:
            return f"amount.{name}"
    return None


@bp.post(P3 + "refund/domestic/refunds")
def v3_refund():
    data = v3_request("refund/domestic/refunds")
    problem = _problem(data)
    if problem:
        return v3_error(400, "PARAM_ERROR", f"缺少参数或参数格式错误: {problem}")
    st = state()
    cfg = st.config
    refund_fee, total = data["amount"]["refund"], data["amount"]["total"]
    with st.lock:
        order = _find(
            st, str(data.get("out_trade_no") or ""), str(data.get("transaction_id") or "")
        )
        if order is None or order["sub_mch_id"] != data["sub_mchid"]:
            return v3_error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if order["trade_state"] not in ("SUCCESS", "REFUND"):
            return v3_error(400, "INVALID_REQUEST", "订单未支付")
        refusal, item, new = refund_book.take_refund(
            st,
            order,
            data["out_refund_no"],
            total,
            refund_fee,
            "PROCESSING",
            notify_url=str(data.get("notify_url") or order["notify_url"]),
        )
        if item is None:
            return v3_error(400, "INVALID_REQUEST", V3_REFUSALS[refusal or ""])
        if not new:
            return answer(refund_view(item, cfg))
        processing = refund_view(item, cfg)
        item["refund_status"] = "SUCCESS"  # the money goes back at once in the sandbox
        done = refund_view(item, cfg)
    body = notify_envelope("REFUND.SUCCESS", "退款成功", "refund", done, st.now(), st)
    queue_v3_notify(st, item["notify_url"], body, {"out_refund_no": item["out_refund_no"]})
    return answer(processing)


@bp.get(P3 + "refund/domestic/refunds/<out_refund_no>")
def v3_refund_query(out_refund_no: str):
    v3_request("refund/domestic/refunds/query")
    st = state()
    with st.lock:
        item = st.data["refunds"].get(out_refund_no)
        if item is None or item["sub_mch_id"] != request.args.get("sub_mchid"):
            return v3_error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return answer(refund_view(item, st.config))
