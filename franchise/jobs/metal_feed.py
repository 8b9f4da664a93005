"""The scheduled pull of the day's metal price board from a feed (issue 19).

Off unless ``METAL_PRICE_FEED_URL`` (``SIYU_METAL_PRICE_FEED_URL``) is set; then the job
runs every ``METAL_PRICE_FEED_MINUTES``. One GET with ``METAL_PRICE_FEED_TIMEOUT``
seconds for connect and read, at most ``MAX_FEED_BYTES``; the answer is CSV or JSON by
its content type (or the URL's ending), read and checked exactly as an upload
(``metal_board_import.read_board``). A refused call, a timeout, a non-2xx status, an
oversized or unreadable body or any bad row becomes one ``metal_feed_failed`` alert and
writes nothing; a board today already holds is not written again.
"""

from __future__ import annotations

import logging

import requests
from flask import current_app

from app.errors import DomainError
from app.extensions import db
from franchise.services import alerts, metal_board_import

log = logging.getLogger("siyu.franchise.metal_feed")

MAX_FEED_BYTES = 256 * 1024


class FeedError(Exception):
    """The feed's answer cannot be used; the message says why."""


def _fetch(url: str, timeout: float) -> tuple[str, str]:
    """The feed's body text and content type (``FeedError`` otherwise)."""
    try:
        with requests.get(url, timeout=timeout, stream=True) as answer:
            if answer.status_code // 100 != 2:
                raise FeedError(f"HTTP {answer.status_code}")
            body = answer.raw.read(MAX_FEED_BYTES + 1, decode_content=True)
            content_type = answer.headers.get("Content-Type", "")
    except requests.RequestException as exc:
        raise FeedError(type(exc).__name__) from exc
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"body over {MAX_FEED_BYTES} bytes")
    try:
        return body.decode("utf-8"), content_type
    except UnicodeDecodeError as exc:
        raise FeedError("body is not UTF-8") from exc


def _reason(exc: DomainError) -> str:
    fields = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in exc.errors.items())
    return f"{exc.message} {fields}".strip()


def pull_feed() -> str:
    """One pull: ``off``, ``failed``, ``unchanged`` or ``written``."""
    cfg = current_app.config
    url = cfg.get("METAL_PRICE_FEED_URL") or ""
    if not url:
        return "off"
    try:
        text, content_type = _fetch(url, float(cfg["METAL_PRICE_FEED_TIMEOUT"]))
        rows = metal_board_import.read_board(text, metal_board_import.kind_of(url, content_type))
    except (FeedError, DomainError) as exc:
        db.session.rollback()
        reason = _reason(exc) if isinstance(exc, DomainError) else str(exc)
        log.warning("metal price feed refused: %s", reason)
        alerts.record("metal_feed_failed", data={"url": url, "reason": reason})
        return "failed"
    if metal_board_import.unchanged_today(rows):
        db.session.rollback()
        return "unchanged"
    metal_board_import.apply(rows, None, "feed")
    return "written"


def metal_feed_job() -> None:
    pull_feed()
