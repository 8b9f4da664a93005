"""``/wecom/callback``: WeCom's URL verification and encrypted event callbacks.

Domains subscribe with ``subscribe(app, key, handler)``: ``key`` is the event name
(``"change_external_chat"``), the event plus its ChangeType
(``"change_external_chat:update"``), or a message type for plain messages (``"text"``).
A handler receives a flat dict of the decrypted fields (ChangeType, ChatId, UpdateDetail,
JoinScene, MemChangeCnt ..., ``MemChangeList`` as a list of userids).

Security: the signature and corp id are checked by ``WeChatCrypto``; a timestamp older
than ``WECOM_CALLBACK_MAX_SKEW`` seconds (default 300) is refused; a (msg_signature,
nonce) pair seen in the last 10 minutes is refused as a replay. Failures answer the JSON
error envelope (403 / 400), never a 500.
"""

from __future__ import annotations

import logging
import time

import xmltodict
from flask import Blueprint, Flask, Response, current_app, request
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from app.context import app_now
from app.errors import envelope
from app.extensions import get_redis, registry

log = logging.getLogger("siyu.wechat")

bp = Blueprint("wecom_callback", __name__)

REPLAY_TTL = 600
MAX_BODY = 256 * 1024


def subscribe(app: Flask, key: str, handler) -> None:
    """Call ``handler(event: dict)`` for every callback matching ``key``."""
    registry(app).wecom_subscribers.setdefault(key, []).append(handler)


def unsubscribe(app: Flask, key: str, handler) -> None:
    """Remove a handler added with ``subscribe`` (tests)."""
    handlers = registry(app).wecom_subscribers.get(key, [])
    if handler in handlers:
        handlers.remove(handler)


def _crypto() -> WeChatCrypto:
    cfg = current_app.config
    return WeChatCrypto(cfg["WECOM_TOKEN"], cfg["WECOM_AES_KEY"], cfg["WECOM_CORP_ID"])


def _params() -> tuple[str, str, str] | None:
    sig, ts, nonce = (request.args.get(k, "") for k in ("msg_signature", "timestamp", "nonce"))
    if not sig or not ts.isdigit() or not nonce or len(sig) > 128 or len(nonce) > 64:
        return None
    return sig, ts, nonce


def _too_old(ts: str) -> bool:
    skew = current_app.config["WECOM_CALLBACK_MAX_SKEW"]
    return skew is not None and abs(time.time() - int(ts)) > float(skew)


def flatten_event(plain_xml: str) -> dict:
    """The decrypted XML as a flat dict; ``MemChangeList`` becomes a list of userids."""
    data = (xmltodict.parse(plain_xml) or {}).get("xml")
    if not isinstance(data, dict):
        raise ValueError("not a WeCom message")
    event = dict(data)
    changes = event.get("MemChangeList")
    if isinstance(changes, dict):
        items = changes.get("Item") or []
        event["MemChangeList"] = items if isinstance(items, list) else [items]
    elif changes is None and "MemChangeCnt" in event:
        event["MemChangeList"] = []
    return event


def event_keys(event: dict) -> list[str]:
    """Subscription keys an event matches, most general first."""
    if event.get("MsgType") == "event":
        name = str(event.get("Event") or "")
        keys = [name]
        if event.get("ChangeType"):
            keys.append(f"{name}:{event['ChangeType']}")
        return keys
    return [str(event.get("MsgType") or "")]


def dispatch(app: Flask, event: dict) -> int:
    """Hand ``event`` to every matching subscriber; returns how many were called."""
    called = 0
    for key in event_keys(event):
        for handler in list(registry(app).wecom_subscribers.get(key, [])):
            handler(dict(event))
            called += 1
    return called


@bp.get("/wecom/callback")
def verify_url():
    """URL verification: decrypt ``echostr`` and echo it in plain text."""
    params = _params()
    echostr = request.args.get("echostr", "")
    if params is None or not echostr:
        return envelope(400, "msg_signature, timestamp, nonce and echostr are required.")
    sig, ts, nonce = params
    try:
        echo = _crypto().check_signature(sig, ts, nonce, echostr)
    except (InvalidSignatureException, InvalidCorpIdException):
        log.warning("wecom callback verification refused: bad signature or corp id")
        return envelope(403, "Invalid signature.")
    except Exception:  # noqa: BLE001 - undecodable echostr
        return envelope(400, "echostr could not be decrypted.")
    if isinstance(echo, bytes):
        echo = echo.decode("utf-8")
    return Response(echo, mimetype="text/plain")


@bp.post("/wecom/callback")
def receive():
    """Decrypt, check freshness and replay, then dispatch to subscribers; answer success."""
    params = _params()
    if params is None:
        return envelope(400, "msg_signature, timestamp and nonce are required.")
    sig, ts, nonce = params
    raw = request.get_data(cache=False)
    if not raw or len(raw) > MAX_BODY or b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw:
        return envelope(400, "Invalid callback body.")
    try:
        plain = _crypto().decrypt_message(raw, sig, ts, nonce)
    except InvalidSignatureException:
        log.warning("wecom callback refused: bad signature")
        return envelope(403, "Invalid signature.")
    except InvalidCorpIdException:
        log.warning("wecom callback refused: wrong corp id")
        return envelope(403, "Invalid corp id.")
    except Exception:  # noqa: BLE001 - malformed XML, base64 or padding
        return envelope(400, "Invalid callback body.")
    if _too_old(ts):
        log.warning("wecom callback refused: timestamp %s outside the allowed skew", ts)
        return envelope(403, "Stale callback timestamp.", code="stale")
    replay_key = f"siyu:wecom:callback:{sig}:{nonce}"
    redis = get_redis()
    if not redis.set(replay_key, "1", nx=True, ex=REPLAY_TTL):
        log.warning("wecom callback refused: replayed signature/nonce")
        return envelope(403, "Replayed callback.", code="replayed")
    try:
        event = flatten_event(plain)
    except Exception:  # noqa: BLE001
        return envelope(400, "Invalid callback message.")
    app = app_now()
    try:
        dispatch(app, event)
    except Exception:  # noqa: BLE001 - let WeCom retry: forget the nonce
        redis.delete(replay_key)
        log.exception("wecom callback subscriber failed for %s", event_keys(event))
        return envelope(503, "The event could not be processed; retry.")
    return Response("success", mimetype="text/plain")
