"""WeChat Pay APIv3 calls in service-provider (partner) mode, through ``wechatpayv3``.

The same functions as ``app.wechat.pay`` (APIv2) with the same arguments and answers in
the same shape, so the franchise services call ``app.wechat.pay`` whatever
``PAY_API`` says (``pay.py`` hands each call here under ``v3``). What differs is kept
here: JSON over HTTPS, RSA-SHA256 ``Authorization`` on each request, answers verified
with WeChat Pay's key, ``wx.requestPayment`` signed RSA, refunds that may finish later
(``PROCESSING``, then the refund notify), profit sharing under ``/v3/profitsharing``,
bills as a download URL to a gzip file (``app.wechat.pay_v3_bills``).

Failures: HTTP 5xx / ``SYSTEM_ERROR`` → ``WeChatUnavailable``; 429 /
``FREQUENCY_LIMITED`` → ``WeChatRateLimited``; other 4xx → ``WeChatAPIError`` with
WeChat's ``code``. The codes callers act on are also given their v2 names (``V2_CODES``)
so one check serves both APIs.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime

import requests
from flask import current_app

from app.clock import SHANGHAI
from app.wechat.errors import WeChatAPIError, WeChatRateLimited, WeChatUnavailable
from app.wechat.pay import fit_body, require_fen
from app.wechat.pay_v3_client import transport, v3_client

# v3 code → the v2 err_code callers already test for (same meaning).
V2_CODES = {"ORDER_NOT_EXIST": "ORDERNOTEXIST", "ORDER_CLOSED": "ORDERCLOSED"}
MAX_DESCRIPTION_BYTES = 127  # JSAPI 下单 description string(127), counted in UTF-8 bytes


def call(api: str, method, *args, **kwargs):
    """Run one ``wechatpayv3`` call; its JSON answer (or raw bytes), or a ``WeChatError``."""
    try:
        with transport():
            code, text = method(*args, **kwargs)
    except requests.RequestException as exc:
        raise WeChatUnavailable(f"{api}: {exc.__class__.__name__}", api=api) from exc
    except Exception as exc:  # noqa: BLE001 - wechatpayv3 raises bare Exception (bad signature)
        raise WeChatUnavailable(f"{api}: {exc}", api=api) from exc
    if 200 <= code < 300:
        if isinstance(text, bytes) or not text:
            return text
        return json.loads(text)
    try:
        body = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        body = {}
    errcode, message = str(body.get("code") or code), str(body.get("message") or "")
    if code == 429 or errcode == "FREQUENCY_LIMITED":
        raise WeChatRateLimited(f"{api}: rate limited", api=api, errcode=errcode)
    if code >= 500 or errcode == "SYSTEM_ERROR":
        raise WeChatUnavailable(f"{api}: HTTP {code} {errcode}", api=api, errcode=errcode)
    raise WeChatAPIError(
        f"{api}: {errcode} {message}",
        api=api,
        errcode=V2_CODES.get(errcode, errcode),
        errmsg=message,
    )


def as_dict(value: object) -> dict:
    """``value`` when it is a JSON object, else an empty one (fields WeChat may omit)."""
    return value if isinstance(value, dict) else {}


def _rfc3339_to_time_end(value: str | None) -> str:
    """``2018-06-08T10:34:56+08:00`` as v2's ``time_end`` (yyyyMMddHHmmss, Shanghai)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")


def transaction_fields(resource: dict) -> dict:
    """A v3 transaction (query answer or decrypted notify) in the v2 notify's shape the
    franchise handler reads (``total_fee`` an int only when WeChat sent an int)."""
    amount, payer = as_dict(resource.get("amount")), as_dict(resource.get("payer"))
    total = amount.get("total")
    return {
        "appid": resource.get("sp_appid"),
        "mch_id": resource.get("sp_mchid"),
        "sub_appid": resource.get("sub_appid"),
        "sub_mch_id": resource.get("sub_mchid"),
        "out_trade_no": resource.get("out_trade_no"),
        "transaction_id": resource.get("transaction_id"),
        "trade_state": resource.get("trade_state"),
        "trade_type": resource.get("trade_type"),
        "total_fee": total if type(total) is int else None,
        "cash_fee": amount.get("payer_total"),
        "sub_openid": payer.get("sub_openid"),
        "attach": resource.get("attach"),
        "time_end": _rfc3339_to_time_end(resource.get("success_time")),
        "result_code": "SUCCESS" if resource.get("trade_state") == "SUCCESS" else "FAIL",
    }


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
    """JSAPI partner order (``/v3/pay/partner/transactions/jsapi``) for the mini-program
    customer (``sub_openid`` under ``sub_appid``); returns what ``wx.requestPayment``
    needs, ``paySign`` RSA-SHA256 over ``appId\\ntimeStamp\\nnonceStr\\npackage\\n``."""
    require_fen(total_fee)
    cfg = current_app.config
    pay = client or v3_client()
    answer = call(
        "v3/pay/partner/transactions/jsapi",
        pay.pay,
        description=fit_body(body, MAX_DESCRIPTION_BYTES),
        out_trade_no=out_trade_no,
        amount={"total": total_fee, "currency": "CNY"},
        payer={"sub_openid": openid},
        attach=attach,
        notify_url=notify_url or cfg["PAY_NOTIFY_URL"],
        sub_appid=cfg["MP_APPID"],
        sub_mchid=sub_mch_id,
        settle_info={"profit_sharing": bool(profit_sharing)},
        scene_info={"payer_client_ip": cfg["PAY_CLIENT_IP"]},
    )
    prepay_id = answer.get("prepay_id") if isinstance(answer, dict) else None
    if not prepay_id:
        raise WeChatAPIError("jsapi: no prepay_id", api="v3/pay/partner/transactions/jsapi")
    params = {
        "appId": cfg["MP_APPID"],
        "timeStamp": str(int(time.time())),
        "nonceStr": secrets.token_hex(16),
        "package": f"prepay_id={prepay_id}",
        "signType": "RSA",
    }
    params["paySign"] = pay.sign(
        [params["appId"], params["timeStamp"], params["nonceStr"], params["package"]]
    )
    params["prepay_id"] = prepay_id
    return params


def query_order(
    sub_mch_id: str, out_trade_no: str | None = None, transaction_id: str | None = None, client=None
) -> dict:
    """The order (``trade_state`` SUCCESS / NOTPAY / CLOSED / REFUND ...) in v2's shape."""
    pay = client or v3_client()
    answer = call(
        "v3/pay/partner/transactions",
        pay.query,
        transaction_id=transaction_id,
        out_trade_no=out_trade_no,
        sub_mchid=sub_mch_id,
    )
    return transaction_fields(answer)


def close_order(sub_mch_id: str, out_trade_no: str, client=None) -> dict:
    pay = client or v3_client()
    call("v3/pay/partner/transactions/close", pay.close, out_trade_no, sub_mchid=sub_mch_id)
    return {"result_code": "SUCCESS"}


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
    """``/v3/refund/domestic/refunds``; ``status`` SUCCESS, or PROCESSING until the refund
    notify (REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED) says how it ended."""
    pay = client or v3_client()
    answer = call(
        "v3/refund/domestic/refunds",
        pay.refund,
        out_refund_no=out_refund_no,
        amount={"refund": refund_fee, "total": total_fee, "currency": "CNY"},
        out_trade_no=out_trade_no,
        reason=reason,
        notify_url=notify_url or current_app.config["PAY_NOTIFY_URL"],
        sub_mchid=sub_mch_id,
    )
    return {**answer, "refund_fee": refund_fee}


def query_refund(sub_mch_id: str, out_refund_no: str, client=None) -> dict:
    pay = client or v3_client()
    return call("v3/refund/domestic/refunds/{no}", pay.query_refund, out_refund_no, sub_mch_id)


def _brand() -> str | None:
    """The chain brand's merchant id when HQ shares through 连锁品牌分账, else None."""
    return current_app.config.get("PAY_V3_BRAND_MCHID") or None


def add_profit_receiver(sub_mch_id: str, receiver: dict, client=None) -> dict:
    """``/v3/profitsharing/receivers/add`` (the name, when given, RSA-encrypted); for a
    brand ``/v3/brand/profitsharing/receivers/add``: the brand's list, all its stores."""
    pay = client or v3_client()
    kind = {
        "account_type": receiver["type"],
        "account": receiver["account"],
        "relation_type": receiver["relation_type"],
        "name": receiver.get("name"),
    }
    brand = _brand()
    if brand:
        return call(
            "v3/brand/profitsharing/receivers/add",
            pay.brand_profitsharing_add_receiver,
            brand,
            **kind,
        )
    return call(
        "v3/profitsharing/receivers/add",
        pay.profitsharing_add_receiver,
        **kind,
        sub_appid=current_app.config["MP_APPID"],
        sub_mchid=sub_mch_id,
    )


def delete_profit_receiver(sub_mch_id: str, receiver: dict, client=None) -> dict:
    pay = client or v3_client()
    brand = _brand()
    if brand:
        return call(
            "v3/brand/profitsharing/receivers/delete",
            pay.brand_profitsharing_delete_receiver,
            brand,
            receiver["type"],
            receiver["account"],
        )
    return call(
        "v3/profitsharing/receivers/delete",
        pay.profitsharing_delete_receiver,
        account_type=receiver["type"],
        account=receiver["account"],
        sub_mchid=sub_mch_id,
    )


def profit_share(
    sub_mch_id: str, transaction_id: str, out_order_no: str, receivers: list[dict], client=None
) -> dict:
    """``/v3/profitsharing/orders`` with ``unfreeze_unsplit`` true (for a brand
    ``/v3/brand/profitsharing/orders`` with ``finish`` true): one share ends the order's
    sharing and releases the rest to the sub-merchant (as v2's single share)."""
    pay = client or v3_client()
    receivers = [dict(r) for r in receivers]
    brand = _brand()
    if brand:
        return call(
            "v3/brand/profitsharing/orders",
            pay.brand_profitsharing_order,
            brand,
            sub_mch_id,
            transaction_id,
            out_order_no,
            receivers,
            True,
        )
    return call(
        "v3/profitsharing/orders",
        pay.profitsharing_order,
        transaction_id=transaction_id,
        out_order_no=out_order_no,
        receivers=receivers,
        unfreeze_unsplit=True,
        sub_mchid=sub_mch_id,
    )


def query_profit_share(
    sub_mch_id: str, transaction_id: str, out_order_no: str, client=None
) -> dict:
    pay = client or v3_client()
    if _brand():
        return call(
            "v3/brand/profitsharing/orders",
            pay.brand_profitsharing_order_query,
            transaction_id,
            out_order_no,
            sub_mch_id,
        )
    return call(
        "v3/profitsharing/orders/{no}",
        pay.profitsharing_order_query,
        transaction_id,
        out_order_no,
        sub_mchid=sub_mch_id,
    )


def return_profit_share(
    sub_mch_id: str,
    out_order_no: str,
    out_return_no: str,
    return_mchid: str,
    amount: int,
    description: str,
    order_id: str | None = None,
    client=None,
) -> dict:
    """``/v3/profitsharing/return-orders`` (a brand's ``returnorders``): take a share back
    from a merchant receiver. A brand's return names WeChat's ``order_id`` (wechatpayv3
    2.0.4 asks for both numbers there and sends the ``order_id``)."""
    pay = client or v3_client()
    if _brand():
        return call(
            "v3/brand/profitsharing/returnorders",
            pay.brand_profitsharing_return,
            sub_mch_id,
            out_return_no,
            return_mchid,
            amount,
            description,
            order_id=order_id,
            out_order_no=out_order_no,
        )
    return call(
        "v3/profitsharing/return-orders",
        pay.profitsharing_return,
        out_return_no=out_return_no,
        return_mchid=return_mchid,
        amount=amount,
        description=description,
        out_order_no=out_order_no,
        sub_mchid=sub_mch_id,
    )


def finish_profit_share(
    sub_mch_id: str,
    transaction_id: str,
    out_order_no: str,
    description: str = "分账完结",
    client=None,
) -> dict:
    """``/v3/profitsharing/orders/unfreeze`` (a brand's ``finish-order``): release the
    frozen rest without sharing."""
    pay = client or v3_client()
    method = pay.brand_profitsharing_unfreeze if _brand() else pay.profitsharing_unfreeze
    if _brand():
        return call(
            "v3/brand/profitsharing/finish-order",
            method,
            sub_mch_id,
            transaction_id,
            out_order_no,
            description,
        )
    return call(
        "v3/profitsharing/orders/unfreeze",
        method,
        transaction_id,
        out_order_no,
        description,
        sub_mchid=sub_mch_id,
    )
