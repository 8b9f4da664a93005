"""Sandbox profit sharing (分账, HMAC-SHA256 only) and the daily bill (对账单, in yuan).

Profit sharing follows WeChat's v2 rules: the order must be created with
``profit_sharing=Y``; receivers are added first; the shares of an order may not exceed
30 % of it; ``out_order_no`` is idempotent; a single share (or ``profitsharingfinish``)
ends the order's sharing and releases the rest to the sub-merchant.
The bill of a day is ready after 10:00 (Asia/Shanghai) the next day, like WeChat's.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import Response

from app.wechat.sandbox.blueprint import SandboxFault, bp, state
from app.wechat.sandbox.pay import find_order, pay_error, pay_fail, pay_ok, pay_request
from app.wechat.sandbox.state import SHANGHAI

P = "/mch/"
MAX_SHARE_PERCENT = 30
FEE_RATE = Decimal("0.006")
HMAC = "HMAC-SHA256"


def _json(raw: str, default):
    try:
        return json.loads(raw) if raw else default
    except ValueError:
        return None


@bp.post(P + "pay/profitsharingaddreceiver")
def profitsharingaddreceiver():
    data = pay_request("pay/profitsharingaddreceiver", hmac_required=True)
    receiver = _json(data.get("receiver", ""), None)
    if (
        not isinstance(receiver, dict)
        or not receiver.get("account")
        or receiver.get("type") not in ("MERCHANT_ID", "PERSONAL_OPENID", "PERSONAL_SUB_OPENID")
    ):
        return pay_error("PARAM_ERROR", "receiver needs type and account")
    if not receiver.get("relation_type"):
        return pay_error("PARAM_ERROR", "receiver needs relation_type")
    st = state()
    with st.lock:
        key = f"{data.get('sub_mch_id', '')}|{receiver['type']}|{receiver['account']}"
        st.data["receivers"][key] = receiver
    return pay_ok(
        HMAC, sub_mch_id=data.get("sub_mch_id"), receiver=json.dumps(receiver, ensure_ascii=False)
    )


def _paid_order(st, data: dict) -> dict:
    """The paid order the sharing request names by ``transaction_id``; ``SandboxFault``
    ``ORDER_NOT_READY`` when there is none or it is not paid."""
    order = find_order(st, {"transaction_id": data.get("transaction_id") or "-"})
    if order is None or order["trade_state"] not in ("SUCCESS", "REFUND"):
        raise SandboxFault(pay_error("ORDER_NOT_READY", "order not found or not paid"))
    return order


def _share_answer(share: dict):
    return pay_ok(
        HMAC,
        sub_mch_id=share["sub_mch_id"],
        transaction_id=share["transaction_id"],
        out_order_no=share["out_order_no"],
        order_id=share["order_id"],
        status=share["status"],
        amount=share.get("amount"),
        receivers=json.dumps(share["receivers"], ensure_ascii=False),
    )


@bp.post(P + "secapi/pay/profitsharing")
def profitsharing():
    data = pay_request("secapi/pay/profitsharing", hmac_required=True)
    st = state()
    out_order_no = data.get("out_order_no") or ""
    receivers = _json(data.get("receivers", ""), None)
    if not out_order_no or not isinstance(receivers, list) or not receivers:
        return pay_error("PARAM_ERROR", "out_order_no and receivers are required")
    with st.lock:
        existing = st.data["shares"].get(out_order_no)
        if existing:  # idempotent: the same request answers the same result
            if existing["transaction_id"] != data.get("transaction_id"):
                return pay_error("INVALID_REQUEST", "out_order_no reused for another order")
            return _share_answer(existing)
        order = _paid_order(st, data)
        if order.get("profit_sharing") != "Y":
            return pay_error("INVALID_REQUEST", "订单不支持分账 (profit_sharing was not Y)")
        if order["sharing"] == "FINISHED":
            return pay_error("INVALID_REQUEST", "订单分账已完结")
        total = 0
        for r in receivers:
            key = f"{order['sub_mch_id']}|{r.get('type')}|{r.get('account')}"
            if key not in st.data["receivers"]:
                return pay_error("RECEIVER_INVALID", f"receiver {r.get('account')} not added")
            amount = r.get("amount")
            if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
                return pay_error("PARAM_ERROR", "receiver amount must be a positive integer")
            total += amount
        cap = order["total_fee"] * MAX_SHARE_PERCENT // 100
        if order["shared_fee"] + total > cap:
            return pay_error(
                "INVALID_REQUEST", f"分账金额超出最大分账比例 {MAX_SHARE_PERCENT}% (cap {cap} fen)"
            )
        share = new_share(order, out_order_no, receivers, total, st.now())
        st.data["shares"][out_order_no] = share
        order["shared_fee"] += total
        order["sharing"] = "FINISHED"  # a single share releases the rest
    return _share_answer(share)


@bp.post(P + "pay/profitsharingquery")
def profitsharingquery():
    data = pay_request("pay/profitsharingquery", hmac_required=True)
    st = state()
    with st.lock:
        share = st.data["shares"].get(data.get("out_order_no") or "")
        if share is None or share["transaction_id"] != data.get("transaction_id"):
            return pay_error("ORDER_NOT_EXIST", "profit-sharing order does not exist")
        return _share_answer(share)


@bp.post(P + "secapi/pay/profitsharingfinish")
def profitsharingfinish():
    data = pay_request("secapi/pay/profitsharingfinish", hmac_required=True)
    st = state()
    out_order_no = data.get("out_order_no") or ""
    with st.lock:
        existing = st.data["shares"].get(out_order_no)
        if existing:
            return _share_answer(existing)
        order = _paid_order(st, data)
        if order["sharing"] == "FINISHED":
            return pay_error("INVALID_REQUEST", "订单分账已完结")
        rest = order["total_fee"] - order["shared_fee"]
        share = new_share(order, out_order_no, [], rest, st.now())
        st.data["shares"][out_order_no] = share
        order["sharing"] = "FINISHED"
    return _share_answer(share)


def new_share(order: dict, out_order_no: str, receivers: list, amount: int, now: float) -> dict:
    """The record of a finished share of ``order`` (a share, or the finish that
    releases the rest: no receivers; v2 and v3 keep the same record)."""
    return {
        "out_order_no": out_order_no,
        "transaction_id": order["transaction_id"],
        "out_trade_no": order["out_trade_no"],
        "sub_mch_id": order["sub_mch_id"],
        "order_id": "30" + secrets.token_hex(13),
        "status": "FINISHED",
        "amount": amount,
        "created_at": now,
        "receivers": [{**r, "result": "SUCCESS"} for r in receivers],
    }


def yuan(fen: int) -> str:
    """Integer fen as WeChat's bill shows it: yuan with two decimals."""
    return f"{(Decimal(fen) / 100).quantize(Decimal('0.01'))}"


def service_fee(fen: int) -> int:
    """WeChat Pay's service fee on ``fen`` (``FEE_RATE``, rounded half up to a fen), as
    the bills show it."""
    return int((Decimal(fen) * FEE_RATE).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,"
    "交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,"
    "商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注"
)
BILL_TOTAL_HEADER = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)


def build_bill(st, bill_date: str, sub_mch_id: str = "") -> str | None:
    """The ALL bill of ``bill_date`` (YYYYMMDD), or None when the day had no trade."""
    cfg = st.config

    def on_day(ts) -> bool:
        return (
            ts is not None and datetime.fromtimestamp(ts, SHANGHAI).strftime("%Y%m%d") == bill_date
        )

    def stamp(ts) -> str:
        return datetime.fromtimestamp(ts, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")

    rows, paid, refunded, fees = [], 0, 0, 0
    with st.lock:
        orders = [
            o
            for o in st.data["orders"].values()
            if on_day(o.get("paid_at")) and (not sub_mch_id or o["sub_mch_id"] == sub_mch_id)
        ]
        refunds = [
            r
            for r in st.data["refunds"].values()
            if on_day(r["created_at"]) and (not sub_mch_id or r["sub_mch_id"] == sub_mch_id)
        ]
        by_no = st.data["orders"]

        def row(at, rec: dict, order: dict, state_: str, middle: list, fee: int, ask: str):
            """One bill line: the trade's ids, ``middle`` (the eight amount and refund
            columns), the goods, the fee and the order and refund asked."""
            return [
                stamp(at),
                cfg["PAY_APPID"],
                cfg["PAY_MCH_ID"],
                rec["sub_mch_id"],
                "",
                rec["transaction_id"],
                rec["out_trade_no"],
                order.get("sub_openid") or order.get("openid") or "",
                order.get("trade_type", ""),
                state_,
                "OTHERS",
                "CNY",
                *middle,
                order.get("body", ""),
                order.get("attach", ""),
                yuan(fee),
                "0.60%",
                yuan(rec["total_fee"]),
                ask,
                "",
            ]

        for o in sorted(orders, key=lambda o: o["paid_at"]):
            fee = service_fee(o["total_fee"])
            paid, fees = paid + o["total_fee"], fees + fee
            amounts = [yuan(o["total_fee"]), "0.00", "0", "0", "0.00", "0.00", "", ""]
            rows.append(row(o["paid_at"], o, o, "SUCCESS", amounts, fee, "0.00"))
        for r in sorted(refunds, key=lambda r: r["created_at"]):
            o = by_no.get(r["out_trade_no"], {})
            fee = -service_fee(r["refund_fee"])
            refunded, fees = refunded + r["refund_fee"], fees + fee
            refund = yuan(r["refund_fee"])
            amounts = ["0.00", "0.00", r["refund_id"], r["out_refund_no"], refund, "0.00"]
            amounts += ["ORIGINAL", "SUCCESS"]
            rows.append(row(r["created_at"], r, o, "REFUND", amounts, fee, refund))
    if not rows:
        return None
    lines = [BILL_HEADER] + [",".join("`" + str(c) for c in row) for row in rows]
    totals = [len(rows), yuan(paid), yuan(refunded), "0.00", yuan(fees), yuan(paid), yuan(refunded)]
    lines += [BILL_TOTAL_HEADER, ",".join("`" + str(c) for c in totals)]
    return "\r\n".join(lines) + "\r\n"


@bp.post(P + "pay/downloadbill")
def downloadbill():
    data = pay_request("pay/downloadbill")
    st = state()
    bill_date = data.get("bill_date") or ""
    try:
        day = datetime.strptime(bill_date, "%Y%m%d").replace(tzinfo=SHANGHAI)
    except ValueError:
        return pay_fail("invalid bill_date")
    ready_at = day + timedelta(days=1, hours=10)
    if datetime.fromtimestamp(st.now(), SHANGHAI) < ready_at:
        return pay_fail("Bill Not Ready: a day's bill is ready after 10:00 the next day")
    text = build_bill(st, bill_date, data.get("sub_mch_id") or "")
    if text is None:
        return pay_fail("No Bill Exist")
    return Response(text, mimetype="text/plain", content_type="text/plain; charset=utf-8")
