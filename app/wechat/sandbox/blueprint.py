"""The sandbox blueprint and the helpers its route modules share.

Every WeChat-facing route goes through ``wecom_call`` / ``pay_guard`` style helpers that
apply, in WeChat's order: injected faults, the access token, the per-API rate limit.
JSON bodies are read from the raw body (wechatpy sends no Content-Type).
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, current_app, jsonify, request

from app.wechat.sandbox.state import SandboxState

bp = Blueprint("siyu_sandbox", __name__)

ERRMSG = {
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40013: "invalid appid",
    40014: "invalid access_token",
    40004: "invalid media type",
    40005: "invalid file type",
    40009: "invalid image size",
    40029: "invalid code",
    40050: "chatid not found",
    40058: "invalid parameter",
    40125: "invalid appsecret",
    40163: "code been used",
    41001: "access_token missing",
    41005: "media data missing",
    41048: "missing sender",
    42001: "access_token expired",
    44001: "empty media data",
    45009: "api freq out of limit",
    47001: "data format error",
    41095: "remind limit exceeded: at most 3 reminders within 24 hours per msgid",
}


class SandboxFault(Exception):
    """Raised inside a route to answer an injected fault or a WeChat error early."""

    def __init__(self, response):
        super().__init__("sandbox fault")
        self.response = response


@bp.errorhandler(SandboxFault)
def _fault(exc: SandboxFault):
    return exc.response


def state() -> SandboxState:
    """The sandbox state of the current app."""
    return current_app.extensions["siyu_sandbox"]


def err(errcode: int, errmsg: str | None = None, **extra):
    """A WeChat JSON error answer (HTTP 200, like WeChat)."""
    body = {"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "error")}
    body.update(extra)
    return jsonify(body)


def ok(**fields):
    """A WeChat JSON success answer."""
    body = {"errcode": 0, "errmsg": "ok"}
    body.update(fields)
    return jsonify(body)


def json_body() -> dict:
    """The request body as a JSON object; ``SandboxFault`` 47001 when it is not one."""
    raw = request.get_data()
    if not raw:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise SandboxFault(err(47001)) from None
    if not isinstance(data, dict):
        raise SandboxFault(err(47001))
    return data


def apply_fault(api: str, *, xml: bool = False) -> None:
    """Answer an injected fault for ``api`` if one is pending; a fault may name the full
    path (``externalcontact/groupchat/list``) or any tail of it (``groupchat/list``)."""
    parts = api.split("/")
    fault = state().take_fault(*("/".join(parts[i:]) for i in range(len(parts))))
    if not fault:
        return
    delay = float(fault.get("delay_seconds") or 0)
    if delay:
        time.sleep(min(delay, 30))
    if fault.get("http_status"):
        raise SandboxFault(Response("sandbox injected failure", status=int(fault["http_status"])))
    if fault.get("errcode") is not None:
        if xml:
            from app.wechat.sandbox.pay import pay_error

            raise SandboxFault(pay_error(str(fault["errcode"]), "sandbox injected failure"))
        raise SandboxFault(err(int(fault["errcode"])))


def guard(api: str, kind: str, *, rate_limited: bool = True) -> None:
    """Faults, then access token, then rate limit: raise ``SandboxFault`` on any failure."""
    apply_fault(api)
    code = state().check_token(request.args.get("access_token"), kind)
    if code:
        raise SandboxFault(err(code))
    if rate_limited and state().hit_rate(api):
        raise SandboxFault(err(45009))


@bp.before_request
def _start_worker():
    """Deliver retries in the background once the sandbox is used with a running clock."""
    state().ensure_worker()


@bp.after_request
def _persist(response):
    """Save the world after every change when SANDBOX_STATE_FILE is set."""
    if request.method != "GET":
        state().save()
    return response
