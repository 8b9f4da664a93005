"""``POST /api/v1/pay/notify``: WeChat Pay's payment-result notify (APIv2, XML, MD5).

An APIv3 notify (JSON, ``Wechatpay-*`` headers) at the same URL goes to
``app.wechat.pay_v3_notify``; v2 XML is still verified here under either ``PAY_API``
(a notify of an order placed before a switch to v3 is re-sent for 24 hours).

Verified as wechatpy's ``WeChatPay.parse_payment_result`` does (MD5 signature over
``PAY_KEY`` by wechatpy's ``calculate_signature``) but compared in constant time (wechatpy
compares with ``!=``), plus ``return_code``, ``appid`` (``PAY_APPID``) and ``mch_id``
(``PAY_MCH_ID``); then handed to
each handler in ``registry(app).pay_notify_handlers``: ``handler(data: dict) -> bool``.
A handler accepts by returning True (or None), refuses by raising ``NotifyRejected`` or
returning False (the answer is FAIL and WeChat re-sends). The franchise domain's handler
checks ``sub_mch_id`` and the amount and posts the payment idempotently.
Bad XML or a bad signature answer FAIL with HTTP 400, never a 500.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, Response, current_app, request
from wechatpy.pay.utils import calculate_signature

from app.extensions import registry
from app.wechat.flat_xml import xml_fields

log = logging.getLogger("siyu.wechat")

bp = Blueprint("pay_notify", __name__)

MAX_BODY = 64 * 1024


class NotifyRejected(Exception):
    """A handler refuses the notify; ``reason`` goes back to WeChat in ``return_msg``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def add_handler(app: Flask, handler) -> None:
    """Register ``handler(data) -> bool`` for verified payment notifies."""
    registry(app).pay_notify_handlers.append(handler)


def after_notify(app: Flask, hook) -> None:
    """Run ``hook(response) -> response`` after requests to the notify route only: a
    blueprint-scoped ``after_request``, so other requests never call it."""
    app.after_request_funcs.setdefault(bp.name, []).append(hook)


def remove_handler(app: Flask, handler) -> None:
    handlers = registry(app).pay_notify_handlers
    if handler in handlers:
        handlers.remove(handler)


def _cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


def answer(ok: bool, message: str = "OK", status: int = 200) -> Response:
    """WeChat's expected reply XML."""
    code = "SUCCESS" if ok else "FAIL"
    body = (
        f"<xml><return_code><![CDATA[{code}]]></return_code>"
        f"<return_msg><![CDATA[{_cdata(message)}]]></return_msg></xml>"
    )
    return Response(body, status=status, mimetype="application/xml")


INT_FIELDS = ("total_fee", "settlement_total_fee", "cash_fee", "coupon_fee", "coupon_count")


def parse_signed(raw: bytes, key: str) -> dict:
    """The notify's fields once its ``sign`` matches (the money fields as int).

    Raises ``NotifyRejected``. A forged signature costs the same time to refuse however
    many of its leading characters are right (``hmac.compare_digest``).
    """
    try:
        data = xml_fields(raw)  # xmltodict's answer; ElementTree's C parser when flat
    except Exception:  # noqa: BLE001 - expat errors, bad encodings
        raise NotifyRejected("invalid XML") from None
    if not isinstance(data, dict):
        raise NotifyRejected("invalid XML")
    sign = data.pop("sign", None)
    expected = calculate_signature(data, key)
    if not isinstance(sign, str) or not hmac.compare_digest(
        sign.encode("utf-8"), expected.encode("utf-8")
    ):
        raise NotifyRejected("invalid signature")
    try:
        for field in INT_FIELDS:
            if field in data:
                data[field] = int(data[field])
    except (TypeError, ValueError):
        raise NotifyRejected("invalid XML") from None
    data["sign"] = sign
    return data


def verify_notify(raw: bytes) -> dict:
    """Parse and verify a notify; raises ``NotifyRejected`` with the reason when invalid."""
    if not raw or len(raw) > MAX_BODY:
        raise NotifyRejected("empty or oversized body")
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw:
        raise NotifyRejected("XML declarations are not accepted")
    cfg = current_app.config
    data = parse_signed(raw, cfg["PAY_KEY"])
    if data.get("return_code") != "SUCCESS":
        raise NotifyRejected("return_code is not SUCCESS")
    if data.get("appid") != cfg["PAY_APPID"]:
        raise NotifyRejected("appid mismatch")
    if data.get("mch_id") != cfg["PAY_MCH_ID"]:
        raise NotifyRejected("mch_id mismatch")
    return data


@bp.post("/api/v1/pay/notify")
def pay_notify():
    from app.wechat import pay_v3_notify

    raw = request.get_data(cache=False)
    if pay_v3_notify.is_v3(request.headers, raw):
        return pay_v3_notify.handle_v3(request.headers, raw)
    try:
        data = verify_notify(raw)
    except NotifyRejected as exc:
        log.warning("pay notify refused: %s", exc.reason)
        return answer(False, exc.reason, 400)
    if data.get("result_code") != "SUCCESS":
        log.warning(
            "pay notify for %s reports a failed payment: %s",
            data.get("out_trade_no"),
            data.get("err_code"),
        )
        return answer(True)
    for handler in list(registry(current_app).pay_notify_handlers):
        try:
            accepted = handler(dict(data))
        except NotifyRejected as exc:
            log.warning("pay notify %s rejected: %s", data.get("out_trade_no"), exc.reason)
            return answer(False, exc.reason)
        except Exception:  # noqa: BLE001 - WeChat will re-send; never a bare 500
            log.exception("pay notify handler failed for %s", data.get("out_trade_no"))
            return answer(False, "temporarily unable to process", 503)
        if accepted is False:
            log.warning("pay notify %s not accepted", data.get("out_trade_no"))
            return answer(False, "not accepted")
    return answer(True)
