"""Read WeCom's daily group-chat statistics back, per group owner and day.

``read_back(today)`` asks ``groupchat/statistic`` (``app.wechat.wecom_statistic``) one
day at a time — WeCom adds a range's days together, and Siyu wants each day — for the
owners of Siyu's groups in pages of at most 100 userids, over the days from
``READ_BACK_DAYS`` (30) ago to yesterday (never beyond WeCom's 180). Each page's rows are
committed on their own, and a day asks only for the owners it has no row for yet, so:

- a run that stops half-way (a crash, 45009, WeCom down) resumes where it stopped;
- a second run over read days calls nothing and writes nothing (one row per owner and
  day: ``GroupChatStat``'s unique key; a concurrent run's rows are updated, not doubled);
- a day first read the morning after is read once more on a later day (WeCom may still
  be counting it): a row read on ``day + 1`` is provisional, one read later is final.

The nightly job (``community.chat_statistics``, 03:30) and the report page's "Read now"
(``POST /api/v1/chat-statistics/read``) both run it.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.clock import shanghai_day, utcnow
from app.extensions import db
from app.wechat.wecom_statistic import KEPT_DAYS, MAX_OWNERS, groupchat_statistic_all
from community.models import GROUP_ACTIVE, STAT_FIELDS, GroupChatStat, WecomGroup
from franchise.models import Guide

READ_BACK_DAYS = 30


def owners() -> dict[str, dict]:
    """The owners of Siyu's active groups → their guide, store and franchisee (for scope)."""
    rows = db.session.execute(
        select(
            WecomGroup.owner_userid,
            WecomGroup.guide_id,
            WecomGroup.store_id,
            WecomGroup.franchisee_id,
        )  # fmt: skip
        .where(WecomGroup.status == GROUP_ACTIVE)
        .order_by(WecomGroup.owner_userid, WecomGroup.id)
    ).all()
    found: dict[str, dict] = {}
    for userid, guide_id, store_id, franchisee_id in rows:
        found.setdefault(
            userid, {"guide_id": guide_id, "store_id": store_id, "franchisee_id": franchisee_id}
        )
    guides = db.session.execute(
        select(Guide.wecom_userid, Guide.id, Guide.store_id).where(Guide.wecom_userid.in_(found))
    ).all()
    for userid, guide_id, store_id in guides:  # the guide's own store when the group has none
        found[userid]["guide_id"] = found[userid]["guide_id"] or guide_id
        found[userid]["store_id"] = found[userid]["store_id"] or store_id
    return found


def days_to_read(today: date, days: int = READ_BACK_DAYS) -> list[date]:
    """Yesterday and the ``days - 1`` before it, oldest first, never beyond WeCom's 180."""
    days = max(1, min(days, KEPT_DAYS))
    return [today - timedelta(days=n) for n in range(days, 0, -1)]


def _read(day: date) -> dict[str, GroupChatStat]:
    """The rows of ``day`` already stored, by owner."""
    rows = db.session.scalars(select(GroupChatStat).where(GroupChatStat.day == day))
    return {row.owner_userid: row for row in rows}


def _wanted(day: date, today: date, stored: dict[str, GroupChatStat], known) -> list[str]:
    """The owners to ask about ``day``: those without a row, and those whose row was read
    the morning after (provisional) once a later day has come."""
    out = []
    for userid in known:
        row = stored.get(userid)
        read_on = shanghai_day(row.read_at) if row is not None else None
        if read_on is None or (read_on <= day + timedelta(days=1) and read_on < today):
            out.append(userid)
    return sorted(out)


def _store(day: date, page: list[str], items: dict[str, dict], known: dict[str, dict]) -> int:
    """Write the page's rows (an owner WeCom did not list had nothing: zeros), a row read
    before updated in place; commits. Returns the rows written."""
    for _attempt in (1, 2):
        stored, now = _read(day), utcnow()
        for userid in page:
            data = items.get(userid, {})
            figures = {f: int(data.get(f) or 0) for f in STAT_FIELDS}
            row = stored.get(userid) or GroupChatStat(owner_userid=userid, day=day)
            for key, value in ({**known[userid], **figures, "read_at": now}).items():
                setattr(row, key, value)
            db.session.add(row)
        try:
            db.session.commit()
            return len(page)
        except IntegrityError:  # a concurrent read inserted some: update theirs instead
            db.session.rollback()
    return 0


def read_back(today: date | None = None, days: int = READ_BACK_DAYS, client=None) -> dict:
    """Read the days not yet read (see the module docstring); ``{"days", "calls", "rows"}``."""
    today = today or shanghai_day()
    known = owners()
    calls = rows = 0
    wanted = days_to_read(today, days)
    for day in wanted:
        missing = _wanted(day, today, _read(day), known)
        db.session.rollback()  # no transaction open while WeCom is called
        for start in range(0, len(missing), MAX_OWNERS):
            page = missing[start : start + MAX_OWNERS]
            answer = groupchat_statistic_all(day, day, page, today=today, client=client)
            calls += 1
            items = {i["owner"]: i.get("data") or {} for i in answer if i.get("owner") in known}
            rows += _store(day, page, items, known)
    return {"days": len(wanted), "calls": calls, "rows": rows}


def last_read() -> date | None:
    """The latest day with a stored row (what the report page shows as "read up to")."""
    return db.session.scalar(select(GroupChatStat.day).order_by(GroupChatStat.day.desc()).limit(1))
