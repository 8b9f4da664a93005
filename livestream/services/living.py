"""WeCom living for store-level campaigns: create the lives, read their viewers back.

* ``enqueue_livings`` (job, commits): every session of a scheduled or live store-mode
  campaign that has an anchor but no ``living_id`` gets an outbox row
  ``livestream.living_create`` (key ``living:<session id>``, so once per session).
* ``create_living`` (outbox handler): ``living/create`` after the commit, then stores
  the ``living_id``; a session that already has one is skipped (idempotent).
* ``read_watch_stats`` (job, and HQ's "read viewers now"): ``get_watch_stat`` for the
  sessions with a ``living_id`` of live campaigns, or whose live ended within 24 h;
  ``viewer_count`` = WeCom users + external users. Commits per session.

HQ-centralised campaigns have no WeCom living: their viewers are the campaign's
visitors (``CampaignVisit``), see ``livestream.services.live_board``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from sqlalchemy import select

from app.clock import utcnow
from app.db import committing
from app.extensions import db
from app.outbox import GiveUp, RetryLater, enqueue
from app.wechat import wecom
from app.wechat.errors import WeChatAPIError, WeChatRateLimited, WeChatUnavailable
from livestream.models import Campaign, LiveSession
from livestream.models.campaigns import (
    ENDED,
    LIVE,
    MODE_STORE,
    NOT_OPEN,
    REVIEWED,
)
from livestream.models.campaigns import SCHEDULED as CAMPAIGN_SCHEDULED

log = logging.getLogger("siyu.livestream")

LIVING_KIND = "livestream.living_create"
LIVING_TYPE = 3  # WeCom living type sent with living/create
READ_BACK_WINDOW = timedelta(hours=24)


def enqueue_livings() -> int:
    """Queue ``living/create`` for store sessions without a live yet; returns how many."""
    rows = db.session.scalars(
        select(LiveSession.id)
        .join(Campaign, Campaign.id == LiveSession.campaign_id)
        .where(
            Campaign.mode == MODE_STORE,
            Campaign.status.in_((CAMPAIGN_SCHEDULED, LIVE)),
            LiveSession.living_id.is_(None),
            LiveSession.anchor_userid != "",
        )
        .order_by(LiveSession.id)
    ).all()
    with committing(db.session):
        for session_id in rows:
            enqueue(LIVING_KIND, {"session_id": session_id}, f"living:{session_id}")
    return len(rows)


def living_body(session: LiveSession) -> dict:
    """The ``living/create`` body for a session."""
    campaign = session.campaign
    return {
        "anchor_userid": session.anchor_userid,
        "theme": session.title[:60],
        "living_start": int(session.starts_at.timestamp()),
        "living_duration": int(session.duration_minutes) * 60,
        "type": LIVING_TYPE,
        "description": (campaign.description or campaign.name)[:100],
    }


def create_living(message) -> dict:
    """Outbox handler: create the WeCom live of one session and store its ``living_id``."""
    session_id = (message.payload or {}).get("session_id")
    session = db.session.get(LiveSession, session_id) if isinstance(session_id, int) else None
    if session is None:
        db.session.rollback()
        raise GiveUp(f"no live session {session_id!r}")
    if session.living_id:
        db.session.rollback()
        return {"skipped": "living_id already set", "living_id": session.living_id}
    if session.campaign.status in NOT_OPEN or not session.anchor_userid:
        db.session.rollback()
        return {"skipped": "campaign not open or no anchor"}
    body = living_body(session)
    db.session.commit()  # no transaction open while WeCom answers
    try:
        living_id = wecom.living_create(body)
    except WeChatRateLimited as exc:
        raise RetryLater(str(exc), delay=exc.retry_after) from exc
    except WeChatUnavailable as exc:
        raise RetryLater(str(exc), delay=exc.retry_after) from exc
    except WeChatAPIError as exc:
        raise GiveUp(f"living/create refused: {exc.errcode} {exc.errmsg}") from exc
    session = cast(LiveSession, db.session.get(LiveSession, session_id))  # read above
    if session.living_id:  # another worker stored one meanwhile
        db.session.rollback()
        return {"skipped": "raced", "living_id": session.living_id}
    session.living_id = str(living_id)
    db.session.commit()
    return {"living_id": session.living_id}


def _readable_sessions(campaign_id: int | None) -> list[int]:
    """Ids of sessions whose viewers are worth reading now."""
    stmt = (
        select(LiveSession)
        .join(Campaign, Campaign.id == LiveSession.campaign_id)
        .where(LiveSession.living_id.is_not(None))
        .order_by(LiveSession.id)
    )
    if campaign_id is not None:  # HQ's button: any open campaign's lives
        stmt = stmt.where(Campaign.id == campaign_id, Campaign.status.not_in(NOT_OPEN))
        return [s.id for s in db.session.scalars(stmt)]
    now = utcnow()
    stmt = stmt.where(Campaign.status.in_((CAMPAIGN_SCHEDULED, LIVE, ENDED, REVIEWED)))
    ids = []
    for session in db.session.scalars(stmt):
        end = session.starts_at + timedelta(minutes=session.duration_minutes)
        if session.campaign.status == LIVE or session.starts_at <= now <= end + READ_BACK_WINDOW:
            ids.append(session.id)
    return ids


def read_watch_stats(campaign_id: int | None = None) -> dict:
    """Read viewers of the lives (see the module docstring); ``{"read", "failed"}``."""
    ids = _readable_sessions(campaign_id)
    db.session.commit()  # end the read transaction before calling out
    read = failed = 0
    for session_id in ids:
        session = db.session.get(LiveSession, session_id)
        assert session is not None and session.living_id is not None  # listed just now
        living_id = session.living_id
        db.session.commit()
        try:
            stat = wecom.get_watch_stat_all(living_id)
        except Exception as exc:  # noqa: BLE001 - one failing live must not stop the rest
            log.warning("get_watch_stat %s failed: %s", living_id, exc)
            failed += 1
            continue
        users = len(stat.get("users") or [])
        external = len(stat.get("external_users") or [])
        session = cast(LiveSession, db.session.get(LiveSession, session_id))  # read above
        session.viewer_count = users + external
        session.external_viewer_count = external
        session.stat_read_at = utcnow()
        db.session.commit()
        read += 1
    return {"read": read, "failed": failed}
