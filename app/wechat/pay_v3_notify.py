"""WeChat Pay APIv3 notifies at ``POST /api/v1/pay/notify``: verified, decrypted, answered.

A notify carrying ``Wechatpay-*`` headers or a JSON body is an APIv3 one (``pay_notify`` sends it
here; v2 XML keeps its path). Checked in this order, each failure one reason (and, by
``franchise.services.alerts.alert_refused_notify``, one alert per reason):

1. the four ``Wechatpay-*`` headers and the signature type (``missing signature headers``);
2. ``Wechatpay-Serial`` is WeChat Pay's public key id (public-key mode) or a platform
   certificate's serial (certificate mode) (``unknown serial``);
3. ``Wechatpay-Timestamp`` within 5 minutes of now (``stale timestamp``: a replay);
4. the RSA-SHA256 signature over ``timestamp\\nnonce\\nbody\\n`` (``invalid signature``);
5. the AEAD_AES_256_GCM ``resource`` opens with the APIv3 key (``resource does not
   decrypt``).

``wechatpayv3``'s ``callback`` does 4 and 5 but says None for both; it is called on the
way in and, only when it fails, ``wechatpayv3.utils.rsa_verify`` tells the two apart.
The answer is the HTTP status: 204 received; 4xx/5xx with ``{"code", "message"}`` and
WeChat sends again (verification refusals 400, a handler's refusal 422, a failure 500).
"""

from __future__ import annotations

import json
import logging

from flask import Response, current_app, jsonify
from wechatpayv3.utils import rsa_verify

from app.clock import utcnow
from app.extensions import hooks, registry
from app.wechat.pay_notify import MAX_BODY, NotifyRejected
from app.wechat.pay_v3 import as_dict, transaction_fields
from app.wechat.pay_v3_client import transport, v3_client

log = logging.getLogger("siyu.wechat")

MAX_SKEW_SECONDS = 300
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
HEADERS = ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial")
REFUND_NOTIFY = "wechat.pay.refund_notify"  # hook: listener(fields: dict) -> None


def is_v3(headers, raw: bytes) -> bool:
    """A v3 notify: ``Wechatpay-*`` headers, or a JSON body (v2 is XML)."""
    if headers.get("Wechatpay-Signature") or headers.get("Wechatpay-Serial"):
        return True
    return raw.lstrip()[:1] == b"{"


def _verifying_key(client, serial: str):
    """WeChat Pay's key named by ``serial``, or None when the serial is not one we know."""
    core = client._core  # wechatpayv3 keeps the key and the certificates on its core
    if core._public_key_id:
        return core._public_key if serial == core._public_key_id else None
    for refresh in (False, True):
        if refresh:
            with transport():
                core._update_certificates()
        for cert in core._certificates:
            if format(cert.serial_number, "X") == serial.upper().lstrip("0"):
                return cert.public_key()
    return None


def verify_v3(headers, raw: bytes) -> dict:
    """The notify with its ``resource`` decrypted, or ``NotifyRejected`` with the cause."""
    if not raw or len(raw) > MAX_BODY:
        raise NotifyRejected("empty or oversized body")
    values = {name: headers.get(name, "") for name in HEADERS}
    if not all(values.values()) or headers.get("Wechatpay-Signature-Type") != SIGNATURE_TYPE:
        raise NotifyRejected("missing signature headers")
    client = v3_client()
    key = _verifying_key(client, values["Wechatpay-Serial"])
    if key is None:
        raise NotifyRejected("unknown serial")
    try:
        stamp = int(values["Wechatpay-Timestamp"])
    except ValueError:
        raise NotifyRejected("stale timestamp") from None
    if abs(utcnow().timestamp() - stamp) > MAX_SKEW_SECONDS:
        raise NotifyRejected("stale timestamp")
    body = raw.decode("utf-8", errors="replace")
    try:
        result = client.callback(dict(headers), body)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise NotifyRejected("invalid JSON") from None
    except Exception:  # noqa: BLE001 - wechatpayv3 raises bare Exception (algorithms)
        raise NotifyRejected("resource does not decrypt") from None
    if result is None:
        nonce, signature = values["Wechatpay-Nonce"], values["Wechatpay-Signature"]
        if not rsa_verify(str(stamp), nonce, body, signature, key):
            raise NotifyRejected("invalid signature")
        raise NotifyRejected("resource does not decrypt")
    if not isinstance(result.get("resource"), dict):
        raise NotifyRejected("resource does not decrypt")
    return result


def answer_v3(status: int, message: str = "") -> Response:
    """204 when received; otherwise the status with WeChat's ``{"code", "message"}``."""
    if status == 204:
        return Response(status=204)
    res = jsonify({"code": "FAIL", "message": message})
    res.status_code = status
    return res


def _check_merchant(resource: dict) -> None:
    cfg = current_app.config
    if resource.get("sp_mchid") != cfg["PAY_MCH_ID"]:
        raise NotifyRejected("mch_id mismatch")
    if "sp_appid" in resource and resource.get("sp_appid") != cfg["PAY_APPID"]:
        raise NotifyRejected("appid mismatch")


def handle_v3(headers, raw: bytes) -> Response:
    """Verify, then hand a payment to the pay-notify handlers (the v2 notify's shape) or a
    refund to the ``REFUND_NOTIFY`` listeners."""
    try:
        notify = verify_v3(headers, raw)
        resource = notify["resource"]
        _check_merchant(resource)
    except NotifyRejected as exc:
        log.warning("v3 pay notify refused: %s", exc.reason)
        return answer_v3(400, exc.reason)
    event = str(notify.get("event_type") or "")
    if event.startswith("REFUND."):
        return _dispatch(
            hooks(REFUND_NOTIFY), refund_fields(resource), resource.get("out_refund_no")
        )
    if event != "TRANSACTION.SUCCESS" or resource.get("trade_state") != "SUCCESS":
        log.warning("v3 notify %s for %s: nothing to post", event, resource.get("out_trade_no"))
        return answer_v3(204)
    handlers = registry(current_app).pay_notify_handlers
    return _dispatch(handlers, transaction_fields(resource), resource.get("out_trade_no"))


def _dispatch(handlers, data: dict, ref) -> Response:
    for handler in list(handlers):
        try:
            accepted = handler(dict(data))
        except NotifyRejected as exc:
            log.warning("v3 notify %s rejected: %s", ref, exc.reason)
            return answer_v3(422, exc.reason)
        except Exception:  # noqa: BLE001 - WeChat will re-send; never a bare 500 page
            log.exception("v3 notify handler failed for %s", ref)
            return answer_v3(500, "temporarily unable to process")
        if accepted is False:
            return answer_v3(422, "not accepted")
    return answer_v3(204)


def refund_fields(resource: dict) -> dict:
    """A decrypted refund notify's fields the franchise listener reads."""
    amount = as_dict(resource.get("amount"))
    return {
        "sub_mch_id": resource.get("sub_mchid"),
        "out_trade_no": resource.get("out_trade_no"),
        "out_refund_no": resource.get("out_refund_no"),
        "refund_id": resource.get("refund_id"),
        "refund_status": resource.get("refund_status"),
        "refund_fee": amount.get("refund"),
        "body": json.dumps(resource, ensure_ascii=False)[:500],
    }
