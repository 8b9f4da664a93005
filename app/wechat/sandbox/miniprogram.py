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
        st.data["used_codes"][code] = 1  # a dict: one lookup whatever the codes used
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


# --- subscribeMessage.send -------------------------------------------------------------
# One-time subscriptions: each acceptance of ``wx.requestSubscribeMessage`` for a template
# allows one send to that user (``POST /_sandbox/control/mp/subscribe`` records one); a
# send without one left is 43101 "user refuse to accept the msg". Templates are the
# configured ``MP_TEMPLATE_*`` ids: another id is 40037. Each value is checked against
# its keyword's type (the prefix of the key) by WeChat's published limits; a breach is
# 47003 naming the field.

CHINESE = r"\u4e00-\u9fff"
VALUE_RULES = {
    "thing": re.compile(r"(?s).{1,20}"),
    "number": re.compile(r"\d{1,32}(\.\d+)?"),
    "letter": re.compile(r"[A-Za-z]{1,32}"),
    "symbol": re.compile(r"[^\w\s]{1,5}"),
    "character_string": re.compile(r"[\x21-\x7e]{1,32}"),
    "time": re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日 )?\d{1,2}:\d{2}(:\d{2})?"),
    "date": re.compile(
        r"(\d{4}年\d{1,2}月\d{1,2}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})( \d{1,2}:\d{2})?"
    ),
    "amount": re.compile(r"[¥$€£]?\d{1,10}(\.\d{1,2})?元?"),
    "phone_number": re.compile(r"[\d+\-() ]{1,17}"),
    "name": re.compile(rf"[{CHINESE}]{{1,10}}|[A-Za-z .'-]{{1,20}}"),
    "phrase": re.compile(rf"[{CHINESE}]{{1,5}}"),
}
SUBSCRIBE_STATES = ("developer", "trial", "formal")


def known_templates(cfg) -> set[str]:
    """The template ids the mini-program has added: every configured ``MP_TEMPLATE_*``."""
    return {str(v) for k, v in cfg.items() if k.startswith("MP_TEMPLATE_") and v}


def accept_subscription(st: SandboxState, openid: str, template_id: str, times: int = 1) -> int:
    """The user accepted the template ``times`` more times; the sends now allowed."""
    with st.lock:
        subs = st.data.setdefault("subscriptions", {})
        key = f"{openid}|{template_id}"
        subs[key] = subs.get(key, 0) + times
        return subs[key]


def _value_error(data) -> str | None:
    """The first keyword whose value breaks its type's rule, as WeChat names it."""
    if not isinstance(data, dict) or not data:
        return "data"
    for key, item in data.items():
        kind = re.sub(r"\d+$", "", str(key))
        value = item.get("value") if isinstance(item, dict) else None
        rule = VALUE_RULES.get(kind)
        if rule is None or not isinstance(value, str) or not rule.fullmatch(value):
            return f"data.{key}.value"
    return None


@bp.post(P + "cgi-bin/message/subscribe/send")
def subscribe_send():
    guard("cgi-bin/message/subscribe/send", "mp")
    body = json_body()
    touser = str(body.get("touser") or "")
    template_id = str(body.get("template_id") or "")
    if not re.fullmatch(r"oSBX[0-9a-f]{24}", touser):
        return err(40003, "invalid openid")
    if template_id not in known_templates(state().config):
        return err(40037, "invalid template_id")
    page = body.get("page")
    if page is not None and (not isinstance(page, str) or page.startswith(("http", "/"))):
        return err(41030, "invalid page")
    if body.get("miniprogram_state", "formal") not in SUBSCRIBE_STATES:
        return err(47003, "argument invalid! miniprogram_state invalid")
    bad = _value_error(body.get("data"))
    if bad:
        return err(47003, f"argument invalid! {bad} invalid")
    st = state()
    with st.lock:
        subs = st.data.setdefault("subscriptions", {})
        key = f"{touser}|{template_id}"
        if subs.get(key, 0) < 1:
            return err(43101, "user refuse to accept the msg")
        subs[key] -= 1
        st.data.setdefault("subscribe_messages", []).append(
            {
                "touser": touser,
                "template_id": template_id,
                "page": page,
                "data": body["data"],
                "sent_at": st.now(),
            }
        )
    st.save()
    return ok(msgid=int(st.now() * 1000) % 10**12)
