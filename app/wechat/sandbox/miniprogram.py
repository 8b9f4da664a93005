"""Sandbox mini-program API (``/_sandbox/api/...``): token, code2session, phone number.

Login codes are WeChat's: valid once, for 5 minutes (the 全局返回码 entry for 40029 —
"code只能消费一次 ... code需要在有效期间消费（5分钟）"; code2Session lists 40029 code 无效).
``POST /_sandbox/control/mp/login_code`` issues one for a user (a code past its 5
minutes is 40029, a used one 40163 code been used); ad-hoc codes ``code-<anything>`` are
also accepted once, as if issued just now. The openid, unionid and session key derive
from the user (``code-<user>``), so every code of a user means the same customer.
Phone codes are issued by ``POST /_sandbox/control/mp/phone_code`` (valid once for
5 minutes of sandbox time); ad-hoc codes ``phone-<11 digits>`` are also accepted once.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from flask import request

from app.wechat.sandbox.blueprint import bp, err, guard, json_body, ok, state
from app.wechat.sandbox.state import SandboxState

P = "/api/"
PHONE_CODE_TTL = 300
LOGIN_CODE_TTL = 300


def identity_for_code(code: str) -> dict:
    """The deterministic customer identity behind a ``code-...`` login code."""
    suffix = code[len("code-") :]
    digest = hashlib.sha256(suffix.encode("utf-8")).hexdigest()
    return {
        "openid": "oSBX" + digest[:24],
        "unionid": "ouSBX" + digest[24:46],
        "session_key": base64.b64encode(bytes.fromhex(digest[46:64] + digest[:14])).decode(),
    }


def issue_phone_code(st: SandboxState, phone: str) -> str:
    """A one-time phone-number code valid for 5 minutes (what the mini-program button gives)."""
    code = "pc" + secrets.token_hex(12)
    with st.lock:
        st.data["phone_codes"][code] = {"phone": phone, "issued_at": st.now()}
    return code


def issue_login_code(st: SandboxState, user: str) -> str:
    """A ``wx.login`` code for ``user``, valid once for 5 minutes of sandbox time."""
    code = "lc" + secrets.token_hex(12)
    with st.lock:
        st.data["login_codes"][code] = {"user": user, "issued_at": st.now()}
    return code


def _consume(st: SandboxState, code: str) -> bool:
    """Mark ``code`` used; False when it was used before."""
    with st.lock:
        if code in st.data["used_codes"]:
            return False
        st.data["used_codes"].append(code)
        return True


@bp.get(P + "cgi-bin/token")
def mp_token():
    cfg = state().config
    if request.args.get("grant_type") != "client_credential":
        return err(40002, "invalid grant_type")
    if request.args.get("appid") != cfg["MP_APPID"]:
        return err(40013)
    if request.args.get("secret") != cfg["MP_SECRET"]:
        return err(40125)
    token, ttl = state().issue_token("mp")
    return ok(access_token=token, expires_in=ttl)


@bp.get(P + "sns/jscode2session")
def jscode2session():
    cfg = state().config
    from app.wechat.sandbox.blueprint import apply_fault

    apply_fault("sns/jscode2session")
    if request.args.get("appid") != cfg["MP_APPID"]:
        return err(40013)
    if request.args.get("secret") != cfg["MP_SECRET"]:
        return err(40125)
    code = request.args.get("js_code") or ""
    st = state()
    with st.lock:
        issued = st.data["login_codes"].get(code)
    if issued:
        if code not in st.data["used_codes"] and st.now() - issued["issued_at"] > LOGIN_CODE_TTL:
            return err(40029, "invalid code: expired")
        if not _consume(st, code):
            return err(40163)
        return {**identity_for_code("code-" + issued["user"])}
    if not code.startswith("code-") or len(code) <= len("code-") or len(code) > 128:
        return err(40029)
    if not _consume(st, code):
        return err(40163)
    return {**identity_for_code(code)}


@bp.post(P + "wxa/business/getuserphonenumber")
def getuserphonenumber():
    guard("wxa/business/getuserphonenumber", "mp", rate_limited=False)
    code = str(json_body().get("code") or "")
    st = state()
    with st.lock:
        issued = st.data["phone_codes"].get(code)
    if issued:
        if st.now() - issued["issued_at"] > PHONE_CODE_TTL:
            return err(40029, "code expired")
        phone = issued["phone"]
    else:
        match = re.fullmatch(r"phone-(1\d{10})", code)
        if not match:
            return err(40029)
        phone = match.group(1)
    if not _consume(st, code):
        return err(40163)
    return ok(
        phone_info={
            "phoneNumber": phone,
            "purePhoneNumber": phone,
            "countryCode": "86",
            "watermark": {"timestamp": int(st.now()), "appid": st.config["MP_APPID"]},
        }
    )
