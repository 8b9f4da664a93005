"""Sandbox WeChat Pay APIv3: the signatures in both directions and the notify envelope.

Requests (``/_sandbox/mch/v3/...``) carry ``Authorization: WECHATPAY2-SHA256-RSA2048
mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"``; the signature is
RSA-SHA256 (PKCS#1 v1.5) over ``METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n`` with the
merchant's API private key. Refused as WeChat refuses them (401 ``SIGN_ERROR``, with
WeChat's messages): a missing or malformed header (Authorization不合法), another
merchant's serial (商户证书序列号有误…), a timestamp more than 5 minutes from now (Http头
Authorization中的timestamp与发起请求的时间不得超过5分钟), a signature that does not
verify (错误的签名,验签失败). Timestamps are real time: the client signs with its clock.

Answers and notifies are signed by WeChat Pay's platform key: ``Wechatpay-Timestamp``,
``-Nonce``, ``-Signature`` (over ``timestamp\\nnonce\\nbody\\n``), ``-Serial`` (the public key
id ``PUB_KEY_ID_…`` in public-key mode, the platform certificate's serial in certificate
mode) and ``-Signature-Type``. A notify's ``resource`` is AEAD_AES_256_GCM under the APIv3
key with a 12-character nonce and ``associated_data``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Response, request

from app.wechat.pay_v3_keys import SANDBOX_APIV3_KEY, SandboxIdentity, sandbox_identity
from app.wechat.sandbox.blueprint import SandboxFault, state, take_fault
from app.wechat.sandbox.state import SHANGHAI

PREFIX = "/_sandbox/mch"
MAX_SKEW_SECONDS = 300
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
_AUTH = re.compile(r'(\w+)="([^"]*)"')
BAD_AUTH = "Authorization不合法"
BAD_SERIAL = "商户证书序列号有误。请使用签名私钥匹配的证书序列号"
STALE = "Http头Authorization中的timestamp与发起请求的时间不得超过5分钟"
BAD_SIGNATURE = "错误的签名,验签失败"


def identity() -> SandboxIdentity:
    return sandbox_identity()


def apiv3_key(st=None) -> str:
    return (st or state()).config.get("PAY_V3_KEY") or SANDBOX_APIV3_KEY


def platform_serial(st=None) -> str:
    """What ``Wechatpay-Serial`` says: the key id, or the certificate's serial."""
    ident = identity()
    if (st or state()).config.get("PAY_V3_VERIFY") == "certificate":
        return ident.platform_serial
    return ident.public_key_id


def sign(message: str, key=None) -> str:
    """RSA-SHA256 (PKCS#1 v1.5), base64, with the platform key (or ``key``)."""
    key = key or identity().platform_key
    raw = key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def signed_headers(
    body: str, *, timestamp: int | None = None, serial: str | None = None, key=None, st=None
) -> dict:
    """The ``Wechatpay-*`` headers of an answer or notify carrying ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    return {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": sign(f"{stamp}\n{nonce}\n{body}\n", key),
        "Wechatpay-Serial": serial or platform_serial(st),
        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
    }


def answer(body: dict | None = None, status: int = 200) -> Response:
    """A signed JSON answer (204 without a body)."""
    text = "" if body is None else json.dumps(body, ensure_ascii=False)
    res = Response(
        text, status=204 if body is None and status == 200 else status, mimetype="application/json"
    )
    res.headers.update(signed_headers(text))
    return res


def v3_error(status: int, code: str, message: str) -> Response:
    """WeChat's APIv3 error answer: the HTTP status decides, the body names the code."""
    return answer({"code": code, "message": message}, status)


def sign_error(message: str) -> SandboxFault:
    return SandboxFault(v3_error(401, "SIGN_ERROR", message))


def check_authorization() -> None:
    """Verify the request's ``Authorization`` as WeChat does (``SandboxFault`` if bad)."""
    header = request.headers.get("Authorization", "")
    scheme, _, rest = header.partition(" ")
    fields = dict(_AUTH.findall(rest))
    needed = ("mchid", "nonce_str", "signature", "timestamp", "serial_no")
    if scheme != SIGNATURE_TYPE or any(not fields.get(k) for k in needed):
        raise sign_error(BAD_AUTH)
    cfg = state().config
    if fields["mchid"] != cfg["PAY_MCH_ID"]:
        raise SandboxFault(v3_error(400, "MCH_NOT_EXISTS", "商户号不存在"))
    ident = identity()
    if fields["serial_no"].upper() != ident.merchant_serial:
        raise sign_error(BAD_SERIAL)
    try:
        skew = abs(time.time() - int(fields["timestamp"]))
    except ValueError:
        raise sign_error(BAD_AUTH) from None
    if skew > MAX_SKEW_SECONDS:
        raise sign_error(STALE)
    url = request.path[len(PREFIX) :]
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8")
    body = request.get_data(as_text=True)
    message = f"{request.method}\n{url}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
    try:
        ident.merchant_public.verify(
            base64.b64decode(fields["signature"]),
            message.encode("utf-8"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        raise sign_error(BAD_SIGNATURE) from None


def v3_request(api: str) -> dict:
    """Faults, then the signature, then the JSON body (``{}`` for GET)."""
    fault = take_fault(api)
    if fault and fault.get("errcode"):
        code = str(fault["errcode"])
        status = {"SYSTEM_ERROR": 500, "FREQUENCY_LIMITED": 429}.get(code, 400)
        raise SandboxFault(v3_error(status, code, "sandbox injected failure"))
    check_authorization()
    if request.method == "GET":
        return {}
    try:
        data = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SandboxFault(v3_error(400, "PARAM_ERROR", "请求体不是合法的JSON"))
    return data


def rfc3339(ts: float) -> str:
    """Epoch seconds as WeChat's time strings: ``2018-06-08T10:34:56+08:00``."""
    return datetime.fromtimestamp(ts, SHANGHAI).isoformat(timespec="seconds")


def encrypt_resource(plain: dict | str, associated_data: str, key: str | None = None) -> dict:
    """The notify's ``resource`` (or a certificate): AEAD_AES_256_GCM under the APIv3 key."""
    nonce = secrets.token_urlsafe(9)[:12]
    text = plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)
    sealed = AESGCM((key or apiv3_key()).encode()).encrypt(
        nonce.encode(), text.encode("utf-8"), associated_data.encode()
    )
    return {
        "original_type": associated_data,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def notify_envelope(
    event_type: str, summary: str, original_type: str, plain: dict, now: float, st=None
) -> str:
    """A notify body (JSON text) carrying ``plain`` encrypted (``st``: the sandbox, when
    called outside a request)."""
    body = {
        "id": "EV-" + secrets.token_hex(10),
        "create_time": rfc3339(now),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": encrypt_resource(plain, original_type, apiv3_key(st)),
    }
    return json.dumps(body, ensure_ascii=False)
