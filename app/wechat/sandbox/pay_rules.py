"""Sandbox WeChat Pay APIv2 rules on fields and on closing orders (``/_sandbox/mch/...``).

From the 服务商 APIv2 docs (统一下单 / 关闭订单):

- ``out_trade_no`` String(32): 32 characters at most, at least 6, only digits, letters
  and ``_-|*`` (商户订单号); ``body`` String(127) (商品描述), counted here in UTF-8
  bytes as the v2 String(n) fields are. A field that breaks its rule is
  ``INVALID_REQUEST`` (参数错误: 参数格式有误或者未按规则上传).
- 关闭订单: "订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟". The doc states the
  rule but lists no code for it; the sandbox answers ``SYSTEMERROR`` (the list's "系统异常，
  请重新调用该API"), so a caller retries later. A paid order is ``ORDERPAID``, a closed
  one ``ORDERCLOSED`` (订单已关闭，无法重复关闭), an unknown one ``ORDERNOTEXIST``.
"""

from __future__ import annotations

import re

from app.wechat.sandbox.blueprint import bp, state
from app.wechat.sandbox.pay import P, pay_error, pay_ok, pay_request

OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
MAX_BODY_BYTES = 127
CLOSE_AFTER_SECONDS = 300
TOO_EARLY = "订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟"


def order_field_problem(data: dict) -> str | None:
    """What is wrong with a unified order's ``out_trade_no`` or ``body``, or None."""
    if not OUT_TRADE_NO.fullmatch(data.get("out_trade_no") or ""):
        return "out_trade_no must be 6 to 32 of 0-9 A-Z a-z _ - | *"
    if len((data.get("body") or "").encode("utf-8")) > MAX_BODY_BYTES:
        return f"body exceeds {MAX_BODY_BYTES} bytes"
    return None


@bp.post(P + "pay/closeorder")
def closeorder():
    data = pay_request("pay/closeorder")
    st = state()
    with st.lock:
        order = st.data["orders"].get(data.get("out_trade_no") or "")
        if order is None:
            return pay_error("ORDERNOTEXIST", "order does not exist")
        if order["trade_state"] in ("SUCCESS", "REFUND"):
            return pay_error("ORDERPAID", "该订单已支付")
        if order["trade_state"] == "CLOSED":
            return pay_error("ORDERCLOSED", "订单已关闭，无法重复关闭")
        if st.now() - order["created_at"] < CLOSE_AFTER_SECONDS:
            return pay_error("SYSTEMERROR", TOO_EARLY)
        order["trade_state"] = "CLOSED"
    return pay_ok(sub_mch_id=order["sub_mch_id"])
