"""WeChat Pay (APIv2, service-provider mode) calls: JSAPI orders, refunds, profit sharing,
bills, plus the signing functions.

Under ``PAY_API = "v3"`` (the default) each call below is made by its namesake in
``app.wechat.pay_v3`` instead (``@v3_alike``), with the same arguments and an answer of
the same shape, so callers do not care which API the deployment speaks.

Unified orders stay on MD5 (wechatpy verifies notifies by MD5 only); profit sharing uses
HMAC-SHA256 as WeChat requires. Always pass ``client_ip`` and our own ``out_trade_no``.
Money is integer fen in and out; ``parse_bill`` turns the bill's yuan back into fen.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import ParamSpec, TypeVar

from flask import current_app
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac

from app.money import MIN_FEN, parse_yuan
from app.wechat.clients import pay_client
from app.wechat.errors import WeChatAPIError, translate_errors

HMAC = "HMAC-SHA256"
P = ParamSpec("P")
R = TypeVar("R")


def v3_alike(fn: Callable[P, R]) -> Callable[P, R]:
    """Make the call through ``app.wechat.pay_v3`` when the app speaks APIv3 (and no v2
    ``client`` was handed in)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_app.config.get("PAY_API") == "v3" and kwargs.get("client") is None:
            from app.wechat import pay_v3, pay_v3_bills

            v3 = getattr(pay_v3, fn.__name__, None) or getattr(pay_v3_bills, fn.__name__)
            return v3(*args, **kwargs)
        return fn(*args, **kwargs)

    return wrapper


MAX_BODY_BYTES = 127  # 统一下单 body String(127), v2 String(n) fields counted in bytes


def fit_body(text: str, limit: int = MAX_BODY_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def require_fen(total_fee: object) -> None:
    """An order's amount must be a positive integer of fen (both APIs)."""
    if not isinstance(total_fee, int) or isinstance(total_fee, bool) or total_fee <= 0:
        raise ValueError("total_fee must be a positive integer (fen)")


def sign_md5(params: dict, key: str) -> str:
    """WeChat Pay v2 MD5 signature (empty values skipped, ``&key=`` appended)."""
    return calculate_signature(params, key)


def sign_hmac_sha256(params: dict, key: str) -> str:
    """WeChat Pay v2 HMAC-SHA256 signature over the same string as ``sign_md5``."""
    return calculate_signature_hmac(params, key)


@v3_alike
def create_jsapi_order(
    sub_mch_id: str,
    out_trade_no: str,
    total_fee: int,
    body: str,
    openid: str,
    notify_url: str | None = None,
    profit_sharing: bool = False,
    attach: str | None = None,
    client=None,
) -> dict:
    """Unified order (JSAPI, MD5) for a customer of the mini-program.

    Returns what ``wx.requestPayment`` needs (``appId, timeStamp, nonceStr, package,
    signType, paySign``) plus ``prepay_id``. ``openid`` is the customer's mini-program
    openid (sent as ``sub_openid``).
    """
    require_fen(total_fee)
    pay = client or pay_client(sub_mch_id)
    cfg = current_app.config
    with translate_errors("pay/unifiedorder"):
        result = pay.order.create(
            trade_type="JSAPI",
            body=fit_body(body),
            total_fee=total_fee,
            notify_url=notify_url or cfg["PAY_NOTIFY_URL"],
            client_ip=cfg["PAY_CLIENT_IP"],
            out_trade_no=out_trade_no,
            sub_user_id=openid,
            attach=attach,
            profit_sharing="Y" if profit_sharing else "N",
        )
    prepay_id = result.get("prepay_id") if isinstance(result, dict) else None
    if not prepay_id:
        raise WeChatAPIError("unifiedorder: no prepay_id", api="pay/unifiedorder")
    params = pay.jsapi.get_jsapi_params(prepay_id)
    params["prepay_id"] = prepay_id
    return params


@v3_alike
def query_order(
    sub_mch_id: str, out_trade_no: str | None = None, transaction_id: str | None = None, client=None
) -> dict:
    """Order status (``trade_state`` SUCCESS / NOTPAY / CLOSED / REFUND ...), fees as int."""
    pay = client or pay_client(sub_mch_id)
    with translate_errors("pay/orderquery"):
        result = pay.order.query(transaction_id=transaction_id, out_trade_no=out_trade_no)
    for key in ("total_fee", "cash_fee"):
        if key in result:
            result[key] = int(result[key])
    return result


@v3_alike
def close_order(sub_mch_id: str, out_trade_no: str, client=None) -> dict:
    pay = client or pay_client(sub_mch_id)
    with translate_errors("pay/closeorder"):
        return pay.order.close(out_trade_no)


@v3_alike
def refund(
    sub_mch_id: str,
    out_trade_no: str,
    out_refund_no: str,
    total_fee: int,
    refund_fee: int,
    notify_url: str | None = None,
    reason: str | None = None,
    client=None,
) -> dict:
    """Refund (needs the merchant certificate against the real WeChat); idempotent by
    ``out_refund_no``."""
    pay = client or pay_client(sub_mch_id)
    with translate_errors("secapi/pay/refund"):
        return pay.refund.apply(
            total_fee=total_fee,
            refund_fee=refund_fee,
            out_refund_no=out_refund_no,
            out_trade_no=out_trade_no,
            notify_url=notify_url,
            refund_desc=reason,
        )


@v3_alike
def query_refund(sub_mch_id: str, out_refund_no: str, client=None) -> dict:
    pay = client or pay_client(sub_mch_id)
    with translate_errors("pay/refundquery"):
        return pay.refund.query(out_refund_no=out_refund_no)


def _sharing_call(path: str, sub_mch_id: str, client, *, with_appid: bool = True, **fields):
    """One v2 profit-sharing call (HMAC-SHA256 signed; the query alone carries no appid)."""
    pay = client or pay_client(sub_mch_id)
    data = {"appid": pay.appid} if with_appid else {}
    data |= {"sign_type": HMAC, **fields}
    with translate_errors(path):
        return pay.post(path, data=data)


@v3_alike
def add_profit_receiver(sub_mch_id: str, receiver: dict, client=None) -> dict:
    """Add a receiver (``type``, ``account``, ``name``?, ``relation_type``) for sharing."""
    receiver_json = json.dumps(receiver, ensure_ascii=False)
    return _sharing_call("pay/profitsharingaddreceiver", sub_mch_id, client, receiver=receiver_json)


@v3_alike
def profit_share(
    sub_mch_id: str, transaction_id: str, out_order_no: str, receivers: list[dict], client=None
) -> dict:
    """Single profit share (HMAC-SHA256): ``receivers`` = [{type, account, amount, description}].

    WeChat caps the shares at 30 % of the order; a single share ends the order's sharing
    and releases the rest to the sub-merchant. ``out_order_no`` is idempotent.
    """
    return _sharing_call(
        "secapi/pay/profitsharing",
        sub_mch_id,
        client,
        transaction_id=transaction_id,
        out_order_no=out_order_no,
        receivers=json.dumps(receivers, ensure_ascii=False),
    )


@v3_alike
def query_profit_share(
    sub_mch_id: str, transaction_id: str, out_order_no: str, client=None
) -> dict:
    return _sharing_call(
        "pay/profitsharingquery",
        sub_mch_id,
        client,
        with_appid=False,
        transaction_id=transaction_id,
        out_order_no=out_order_no,
    )


@v3_alike
def finish_profit_share(
    sub_mch_id: str,
    transaction_id: str,
    out_order_no: str,
    description: str = "分账完结",
    client=None,
) -> dict:
    """Release the order's frozen funds to the sub-merchant without sharing."""
    return _sharing_call(
        "secapi/pay/profitsharingfinish",
        sub_mch_id,
        client,
        transaction_id=transaction_id,
        out_order_no=out_order_no,
        description=description,
    )


@v3_alike
def download_bill(
    bill_date: date | datetime | str, sub_mch_id: str | None = None, client=None
) -> str:
    """The ALL bill text of a day (ready after 10:00 the next day; amounts in yuan)."""
    pay = client or pay_client(sub_mch_id)
    with translate_errors("pay/downloadbill"):
        result = pay.tools.download_bill(bill_date)
    if not isinstance(result, str):
        raise WeChatAPIError("downloadbill: unexpected answer", api="pay/downloadbill")
    return result


def bill_lines(text: str) -> list[str]:
    """A bill's non-blank lines (CRLF or LF), as WeChat Pay's CSV bills are read."""
    return [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def bill_cells(line: str) -> list[str]:
    """A bill line's cells, each without the leading backquote WeChat puts before values."""
    return [c[1:] if c.startswith("`") else c for c in line.split(",")]


def parse_bill(text: str) -> dict:
    """Rows (dicts keyed by the Chinese headers) and totals of a bill; amount columns
    converted from yuan strings to integer fen under ``*_fen`` keys (``app.money.parse_yuan``:
    a malformed amount raises ``YuanError``, a ``ValueError``)."""
    lines = bill_lines(text)
    if len(lines) < 3:
        return {"rows": [], "totals": {}}
    header = lines[0].split(",")

    amount_columns = {
        "应结订单金额": "settlement_fen",
        "退款金额": "refund_fen",
        "手续费": "fee_fen",
        "订单金额": "order_fen",
    }
    rows = []
    for line in lines[1:-2]:
        row: dict[str, str | int] = dict(zip(header, bill_cells(line), strict=False))
        for col, key in amount_columns.items():
            if row.get(col):
                row[key] = parse_yuan(str(row[col]), MIN_FEN)
        rows.append(row)
    totals = dict(zip(lines[-2].split(","), bill_cells(lines[-1]), strict=False))
    totals_fen = {
        "count": int(totals.get("总交易单数", "0") or 0),
        "settlement_fen": parse_yuan(totals.get("应结订单总金额") or "0", MIN_FEN),
        "refund_fen": parse_yuan(totals.get("退款总金额") or "0", MIN_FEN),
        "fee_fen": parse_yuan(totals.get("手续费总金额") or "0", MIN_FEN),
    }
    return {"rows": rows, "totals": totals_fen}
