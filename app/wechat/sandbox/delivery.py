"""Outgoing requests from the sandbox to the app: payment notifies and WeCom callbacks.

A delivery goes to ``APP_URL`` over HTTP when set, otherwise in-process through the
app's test client (no network, works in tests). An APIv3 notify (kind ending ``_v3``) is
signed at each attempt (``Wechatpay-*`` headers, the time of sending) and counts as
received on HTTP 200 or 204, whatever the body says. A pay notify not answered with
``return_code SUCCESS`` is retried on WeChat's schedule (15s/15s/30s/3m/.../6h, on the
sandbox clock); a WeCom callback not answered ``success`` is retried 3 times 5 s apart.
The request is made with the state lock released, so the app may call the sandbox back.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from urllib.parse import urlsplit

import requests
import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto

from app.wechat.sandbox.state import NOTIFY_RETRY_SCHEDULE, SandboxState

log = logging.getLogger("siyu.wechat.sandbox")

CALLBACK_RETRY_SCHEDULE = [5, 5, 5]


def _post(
    state: SandboxState, url: str, body: str, content_type: str, headers: dict | None = None
) -> tuple[int, str]:
    """POST ``body`` to the path of ``url`` on the app; returns (status, text)."""
    headers = {"Content-Type": content_type, **(headers or {})}
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    app_url = state.config.get("APP_URL") or ""
    try:
        if app_url:
            res = requests.post(
                app_url.rstrip("/") + path,
                data=body.encode("utf-8"),
                headers=headers,
                timeout=5,
            )
            return res.status_code, res.text
        with state.app.test_client() as client:
            res = client.post(path, data=body.encode("utf-8"), headers=headers)
            return res.status_code, res.get_data(as_text=True)
    except Exception as exc:  # noqa: BLE001 - a failed delivery is data, not a crash
        log.warning("sandbox delivery to %s failed: %s", path, exc)
        return 0, f"error: {exc.__class__.__name__}: {exc}"


def _accepted(kind: str, status: int, text: str) -> bool:
    """Did the app acknowledge the delivery the way WeChat expects?"""
    if kind.endswith("_v3"):
        return status in (200, 204)
    if status != 200:
        return False
    if kind == "wecom_callback":
        return text.strip() == "success"
    try:
        return (xmltodict.parse(text) or {}).get("xml", {}).get("return_code") == "SUCCESS"
    except Exception:  # noqa: BLE001 - any unparsable answer counts as a failure
        return False


def deliver(state: SandboxState, item: dict) -> dict:
    """Make one delivery attempt (twice with the duplicate flag) and schedule any retry."""
    is_pay = item["kind"].startswith("pay_notify")
    times = 2 if (is_pay and state.data["flags"].get("duplicate_notify")) else 1
    ok = False
    for _ in range(times):
        headers = None
        if item["kind"].endswith("_v3"):
            from app.wechat.sandbox.pay_v3_auth import signed_headers

            headers = signed_headers(item["body"], st=state)
        status, text = _post(state, item["url"], item["body"], item["content_type"], headers)
        accepted = _accepted(item["kind"], status, text)
        ok = ok or accepted
        with state.lock:
            item["history"].append(
                {"at": state.now(), "status_code": status, "answer": text[:500], "ok": accepted}
            )
    schedule = NOTIFY_RETRY_SCHEDULE if is_pay else CALLBACK_RETRY_SCHEDULE
    with state.lock:
        item["attempts"] += 1
        if ok:
            item["status"] = "delivered"
        elif item["attempts"] > len(schedule):
            item["status"] = "failed"
        else:
            item["due_at"] = state.now() + schedule[item["attempts"] - 1]
    state.save()
    return public(item)


def public(item: dict) -> dict:
    """The delivery as shown by control endpoints (without the body)."""
    return {k: v for k, v in item.items() if k != "body"}


def deliver_due(state: SandboxState, *, ignore_time: bool = False) -> list[dict]:
    """Deliver every pending item that is due (or all pending ones); returns the results."""
    return [deliver(state, item) for item in state.due_deliveries(ignore_time=ignore_time)]


def flush_until_done(state: SandboxState, max_rounds: int = 100) -> list[dict]:
    """Advance the clock to each next due delivery and deliver, until nothing is pending."""
    results: list[dict] = []
    for _ in range(max_rounds):
        pending = state.due_deliveries(ignore_time=True)
        if not pending:
            break
        wait = min(d["due_at"] for d in pending) - state.now()
        if wait > 0:
            state.advance(wait)
        results.extend(deliver_due(state))
    return results


def worker_loop(state: SandboxState, stop: threading.Event) -> None:
    """Background delivery when the sandbox clock runs (TIME_SCALE > 0)."""
    while not stop.wait(0.5):
        try:
            deliver_due(state)
        except Exception:  # noqa: BLE001 - keep the worker alive
            log.exception("sandbox delivery worker error")


def wecom_callback_xml(state: SandboxState, fields: dict) -> tuple[str, dict]:
    """Encrypt an event the way WeCom does; returns (body, query params)."""
    cfg = state.config
    crypto = WeChatCrypto(cfg["WECOM_TOKEN"], cfg["WECOM_AES_KEY"], cfg["WECOM_CORP_ID"])
    plain = {
        "ToUserName": cfg["WECOM_CORP_ID"],
        "FromUserName": "sys",
        "CreateTime": int(state.now()),
        "MsgType": "event",
    }
    plain.update(fields)
    xml = xmltodict.unparse({"xml": plain}, full_document=False)
    nonce = secrets.token_hex(8)
    timestamp = str(int(time.time()))  # real time: the receiver checks skew against it
    encrypted = crypto.encrypt_message(xml, nonce, timestamp)
    parsed = xmltodict.parse(encrypted)["xml"]
    body = xmltodict.unparse(
        {"xml": {"ToUserName": cfg["WECOM_CORP_ID"], "AgentID": "", "Encrypt": parsed["Encrypt"]}},
        full_document=False,
    )
    params = {"msg_signature": parsed["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
    return body, params


def fire_wecom_event(state: SandboxState, fields: dict) -> dict:
    """Queue and deliver one encrypted WeCom callback to ``/wecom/callback``."""
    body, params = wecom_callback_xml(state, fields)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    item = state.queue_delivery(
        "wecom_callback",
        f"/wecom/callback?{query}",
        body,
        "application/xml",
        meta={"event": fields},
    )
    return deliver(state, item)
