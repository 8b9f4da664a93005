"""Scheduled jobs of the WeCom customers area: the nightly tag job (02:30 Asia/Shanghai)
and the hand-over read-back (every 30 minutes)."""

from __future__ import annotations

import logging

log = logging.getLogger("siyu.community")


def run_nightly_tags() -> dict:
    """Read WeCom's tag library, then put every rule tag on exactly its customers."""
    from app.wechat.errors import WeChatError
    from community.services import tag_rules, tags

    result: dict = {}
    try:
        result["pulled"] = tags.pull()
    except WeChatError as exc:  # the rules still run on the library we have
        log.warning("tag library not read from WeCom: %s", exc)
    result["rules"] = tag_rules.apply_rules()
    log.info("community tags: %s", result)
    return result


def run_transfer_readback() -> dict:
    """Read WeCom's outcome of the waiting hand-overs (every 30 minutes)."""
    from app.wechat.errors import WeChatError
    from community.services import transfers

    try:
        result = transfers.read_back()
    except WeChatError as exc:  # the next run reads again
        log.warning("hand-over results not read: %s", exc)
        return {"error": str(exc)}
    log.info("community hand-overs: %s", result)
    return result
