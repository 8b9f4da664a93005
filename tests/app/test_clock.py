"""Shanghai days: the boundary sits at 16:00 UTC, naive times are UTC, bounds are half-open."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.clock import shanghai_day, shanghai_day_bounds, shanghai_midnight


def test_the_shanghai_day_turns_at_16_utc():
    assert shanghai_day(datetime(2026, 11, 26, 15, 59, 59, tzinfo=UTC)) == date(2026, 11, 26)
    assert shanghai_day(datetime(2026, 11, 26, 16, 0, tzinfo=UTC)) == date(2026, 11, 27)
    assert shanghai_day(datetime(2026, 11, 26, 16, 0)) == date(2026, 11, 27)  # naive = UTC
    assert shanghai_day() in {datetime.now(UTC).date(), datetime.now(UTC).date() + timedelta(1)}


def test_midnight_and_bounds():
    start = shanghai_midnight(date(2026, 11, 27))
    assert start == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert shanghai_day_bounds(date(2026, 11, 27), date(2026, 11, 28)) == (
        start,
        start + timedelta(days=2),
    )
    assert shanghai_day_bounds(None, None) == (None, None)
