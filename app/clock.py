"""Business time: every stored time is aware UTC, and Siyu's days (T+0 settlement, WeCom
quotas, birthdays, reports, charts) are Asia/Shanghai calendar days.

One place for the zone and the day arithmetic, so a job, a page and a test agree on what
"today" is between 16:00 and 24:00 UTC, when Shanghai is already on the next day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import overload
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Aware UTC now: the one clock every stored time is read from."""
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
@overload
def as_utc(moment: datetime | None) -> datetime | None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """``moment`` as aware UTC; a naive value is taken as UTC (``None`` stays ``None``)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def shanghai_day(moment: datetime | None = None) -> date:
    """The Shanghai calendar day of ``moment`` (a naive value is taken as UTC); today
    when ``moment`` is omitted."""
    if moment is None:
        moment = datetime.now(UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).date()


def shanghai_yesterday() -> date:
    """The Shanghai day before today: the last day whose statements close and whose
    WeChat bills can be in (the reconciliations' default day)."""
    return shanghai_day() - timedelta(days=1)


def shanghai_midnight(day: date) -> datetime:
    """The aware UTC instant at which Shanghai day ``day`` begins."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def shanghai_day_bounds(
    day_from: date | None = None, day_to: date | None = None
) -> tuple[datetime | None, datetime | None]:
    """UTC bounds ``[start, end)`` of Shanghai days ``day_from``..``day_to`` (either open)."""
    start = shanghai_midnight(day_from) if day_from is not None else None
    end = shanghai_midnight(day_to + timedelta(days=1)) if day_to is not None else None
    return start, end


def from_unix_seconds(value) -> datetime | None:
    """WeChat's Unix seconds (an int or a digit string) as an aware UTC datetime; None
    when absent, zero or not a number."""
    try:
        return datetime.fromtimestamp(int(value), UTC) if value else None
    except (TypeError, ValueError, OverflowError):
        return None
