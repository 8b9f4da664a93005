"""The sandbox blueprint and the helpers its route modules share.

Every WeChat-facing route goes through ``wecom_call`` / ``pay_guard`` style helpers that
apply, in WeChat's order: injected faults, the access token, the per-API rate limit.
JSON bodies are read from the raw body (wechatpy sends no Content-Type).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, abort, current_app, jsonify, make_response, request

from app.errors import envelope
from app.wechat.sandbox.state import SandboxState

bp = Blueprint("siyu_sandbox", __name__)

# errmsg of each errcode the sandbox answers; the codes and meanings are WeChat's own
# (WeCom 全局错误码, mini-program code2Session / 全局返回码), never reused for another meaning
ERRMSG = {
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",  # 不合法的secret参数
    40002: "invalid grant_type",
    40003: "invalid openid",  # subscribeMessage.send: touser 字段 openid 为空或者不正确
    40004: "invalid media type",  # 不合法的媒体文件类型 (不满足系统文件要求)
    40005: "invalid type",  # 不合法的type参数
    40006: "invalid file size",  # 不合法的文件大小
    40007: "invalid media_id",  # 不合法的media_id参数
    40009: "invalid image size",  # 上传图片大小不是有效值
    40011: "invalid video size",  # 上传视频大小不是有效值
    40013: "invalid appid",  # 不合法的CorpID / AppID
    40014: "invalid access_token",
    40029: "invalid code",
    40037: "invalid template_id",  # 订阅模板id为空不正确  # code 无效 (used or expired)
    40050: "chatid not found",  # chatid不存在
    40058: "invalid parameter",  # 不合法的参数
    40063: "empty parameter",  # 参数为空 (a required parameter is missing)
    40125: "invalid appsecret",
    40163: "code been used",
    40165: "invalid weapp pagepath",  # urllink / urlscheme.generate: 参数path填写错误
    40212: "invalid query",  # urllink / urlscheme.generate: 参数query填写错误
    41001: "access_token missing",
    41030: "invalid page",  # page路径不正确
    41046: "msgid missing",  # 缺少企业群发消息id
    41047: "invalid msgid",  # 无效的企业群发消息id
    41048: "no customer to send to",  # 无可发送的客户
    41065: "invalid attachment type",  # 无效的附件类型
    42001: "access_token expired",
    44001: "empty media data",  # 多媒体文件为空
    43101: "user refuse to accept the msg",  # 用户拒绝接受消息 (no subscription left)
    45009: "api freq out of limit",  # 接口调用超过限制
    47001: "data format error",
    47003: "argument invalid",  # 模板参数不准确
    85401: "invalid expire time",  # 参数expire_time填写错误 (more than 1 minute, at most 30 days)
    49008: "group chat dismissed",  # 群已经解散
    81017: "too many owners, set owner_filter",  # groupchat/statistic: 可见范围超过1000人
    301016: "invalid voice file",  # 上传语音文件不符合系统要求
    301017: "voice must be AMR",  # 上传语音文件仅支持AMR格式
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


def take_fault(api: str) -> dict | None:
    """The injected fault pending for ``api``, if any; a fault may name the full path
    (``externalcontact/groupchat/list``) or any tail of it (``groupchat/list``). Its delay
    is waited out here (a slow WeChat that still carries the call out) and an HTTP-status
    fault raised (``SandboxFault``); an error-code fault is the caller's to answer."""
    parts = api.split("/")
    fault = state().take_fault(*("/".join(parts[i:]) for i in range(len(parts))))
    if not fault:
        return None
    delay = float(fault.get("delay_seconds") or 0)
    if delay:
        time.sleep(min(delay, 30))
    if fault.get("http_status"):
        raise SandboxFault(Response("sandbox injected failure", status=int(fault["http_status"])))
    return fault


def apply_fault(api: str, *, xml: bool = False) -> None:
    """Answer an injected fault for ``api`` if one is pending (``take_fault``)."""
    fault = take_fault(api)
    if fault is None:
        return
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


def control_body() -> dict:
    """A control call's JSON object body (``{}`` when there is none or it is not an object)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@contextmanager
def known_or_404(what: str) -> Iterator[None]:
    """The control calls' rule for an object the sandbox does not hold: a ``KeyError``
    in the block answers 404 ``No such <what> in the sandbox.``"""
    try:
        yield
    except KeyError:
        abort(make_response(envelope(404, f"No such {what} in the sandbox.")))


def wecom_request(api: str) -> dict:
    """A WeCom call's checks (``guard``) and then its JSON body (``json_body``)."""
    guard(api, "wecom")
    return json_body()


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
