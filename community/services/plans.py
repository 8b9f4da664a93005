"""Push plans (SOP): targeting, schedules and quiet hours.

A plan is *due* on an Asia/Shanghai day for a group when it is active that day and its
schedule matches: ``weekly`` (weekday 0 = Monday in ``weekdays``), ``dates`` (the day in
``dates``) or ``relative`` (the day is ``relative_day`` days after the group was created).
Its send time moves out of the quiet window to the window's end on the same day; if the
window runs past midnight the send waits (reason "quiet hours").
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from app import clock
from app.clock import SHANGHAI
from app.errors import DomainError, NotFound
from app.extensions import db
from app.i18n import tr
from community.models import (
    PURPOSES,
    SCHEDULE_DATES,
    SCHEDULE_RELATIVE,
    SCHEDULE_WEEKLY,
    SEGMENTS,
    STAGES,
    ContentPost,
    PushPlan,
    WecomGroup,
)
from franchise.models import Franchisee, Region, Store

SCHEDULE_KINDS = (SCHEDULE_WEEKLY, SCHEDULE_DATES, SCHEDULE_RELATIVE)
# a plan's targets are id lists (no foreign key can check them): checked on save
TARGET_MODELS = {
    "region_ids": Region,
    "franchisee_ids": Franchisee,
    "store_ids": Store,
    "group_ids": WecomGroup,
}
assert PURPOSES  # the library's purposes are what plans send


class PlanInvalid(DomainError):
    status = 422
    code = "invalid_plan"


def parse_hhmm(value: str | None) -> time | None:
    """``"HH:MM"`` → time, None for empty; ValueError when malformed."""
    if not value:
        return None
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


def is_active_on(plan: PushPlan, day: date) -> bool:
    """Active status and inside the active period."""
    if plan.status != "active":
        return False
    if plan.active_from and day < plan.active_from:
        return False
    return not (plan.active_until and day > plan.active_until)


def schedule_matches(plan: PushPlan, day: date, group_created: date | None = None) -> bool:
    """Whether the schedule fires on ``day`` (for a relative plan: given the group's day)."""
    if plan.schedule_kind == SCHEDULE_WEEKLY:
        return day.weekday() in (plan.weekdays or [])
    if plan.schedule_kind == SCHEDULE_DATES:
        return day.isoformat() in (plan.dates or [])
    if plan.schedule_kind == SCHEDULE_RELATIVE:
        if group_created is None or plan.relative_day is None:
            return False
        return (day - group_created).days == plan.relative_day
    return False


QUIET_MOVED, QUIET_NO_TIME = "quiet_moved", "quiet_no_time"
# reason codes → their msgids (English text when stored, translated when shown)
SEND_TIME_REASONS = {
    QUIET_MOVED: "moved out of quiet hours to %(time)s",
    QUIET_NO_TIME: "quiet hours %(start)s–%(end)s: no time left today",
}


def send_time_decision(plan: PushPlan) -> tuple[time | None, str, dict]:
    """The send time outside quiet hours, or None when it must wait a day; with the reason
    code (``""`` when the plan's own time holds) and its params.

    A quiet window ``start``–``end`` that wraps midnight (22:00–08:00) covers the evening
    and the early morning; a time in the morning part moves to ``end`` the same day, a time
    in the evening part cannot move within the day and waits.
    """
    send = parse_hhmm(plan.send_time) or time(10, 0)
    start, end = parse_hhmm(plan.quiet_start), parse_hhmm(plan.quiet_end)
    if start is None or end is None or start == end:
        return send, "", {}
    moved = (end, QUIET_MOVED, {"time": end.strftime("%H:%M")})
    if start < end:  # same-day window
        return moved if start <= send < end else (send, "", {})
    if send >= start:  # evening part of a window that wraps midnight
        window = {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
        return None, QUIET_NO_TIME, window
    return moved if send < end else (send, "", {})


def effective_send_time(plan: PushPlan) -> tuple[time | None, str]:
    """``send_time_decision`` with the reason as text (translated inside a request)."""
    at, code, params = send_time_decision(plan)
    return at, tr(SEND_TIME_REASONS[code], **params) if code else ""


def send_at_utc(day: date, at: time) -> datetime:
    """The UTC instant of Asia/Shanghai ``day`` at ``at``."""
    from datetime import UTC

    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


def shanghai_day(moment: datetime | None) -> date | None:
    """The Shanghai day of ``moment``; None for None (an unset time)."""
    return None if moment is None else clock.shanghai_day(moment)


def _int_list(value, name: str, errors: dict, lo: int = 1, hi: int = 2**31 - 1) -> list[int]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    out = []
    for v in value:
        try:
            n = int(v)
        except (TypeError, ValueError):
            errors.setdefault(name, []).append(tr("Whole numbers only."))
            return []
        if not lo <= n <= hi:
            errors.setdefault(name, []).append(tr("Out of range."))
            return []
        out.append(n)
    return sorted(set(out))


def _unknown_ids(model, ids: list[int]) -> list[int]:
    """The ``ids`` with no row in ``model``'s table (a plan aimed at nothing is refused)."""
    if not ids:
        return []
    found = set(db.session.scalars(select(model.id).where(model.id.in_(ids))))
    return [i for i in ids if i not in found]


def save_plan(data: dict, plan: PushPlan | None = None, user_id: int | None = None) -> PushPlan:
    """Validate and store a plan; commits. ``data`` holds form or JSON values."""
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name or len(name) > 64:
        errors["name"] = [tr("Name is required, at most 64 characters.")]
    post_id: Any = data.get("post_id")
    try:
        post_id = int(post_id)
    except (TypeError, ValueError):
        post_id = None
    if not post_id or db.session.get(ContentPost, post_id) is None:
        errors["post_id"] = [tr("Choose a post from the library.")]
    stages = [s for s in (data.get("stages") or []) if s]
    if any(s not in STAGES for s in stages):
        errors["stages"] = [tr("Unknown stage.")]
    segments = [s for s in (data.get("segments") or []) if s]
    if any(s not in SEGMENTS for s in segments):
        errors["segments"] = [tr("Unknown segment.")]
    kind = data.get("schedule_kind") or SCHEDULE_WEEKLY
    if kind not in SCHEDULE_KINDS:
        errors["schedule_kind"] = [tr("Choose a schedule.")]
    weekdays = _int_list(data.get("weekdays"), "weekdays", errors, 0, 6)
    dates: list[str] = []
    raw_dates = data.get("dates") or []
    if isinstance(raw_dates, str):
        raw_dates = raw_dates.replace(",", " ").split()
    for d in raw_dates:
        try:
            dates.append(date.fromisoformat(str(d)).isoformat())
        except ValueError:
            errors["dates"] = [tr("Dates as YYYY-MM-DD.")]
    relative_day = data.get("relative_day")
    if relative_day in ("", None):
        relative_day = None
    else:
        try:
            relative_day = int(relative_day)
            if not 0 <= relative_day <= 3650:
                raise ValueError
        except (TypeError, ValueError):
            errors["relative_day"] = [tr("A day number from 0 to 3650.")]
    if kind == SCHEDULE_WEEKLY and not weekdays:
        errors.setdefault("weekdays", []).append(tr("Pick at least one weekday."))
    if kind == SCHEDULE_DATES and not dates:
        errors.setdefault("dates", []).append(tr("Give at least one date."))
    if kind == SCHEDULE_RELATIVE and relative_day is None:
        errors.setdefault("relative_day", []).append(tr("Give the day after creation."))
    times: dict[str, Any] = {}
    for field in ("send_time", "quiet_start", "quiet_end"):
        value = (data.get(field) or "").strip()
        try:
            parse_hhmm(value)
            times[field] = value[:5] or None
        except ValueError:
            errors[field] = [tr("Time as HH:MM.")]
    if not times.get("send_time"):
        errors.setdefault("send_time", []).append(tr("Give a send time."))
    if bool(times.get("quiet_start")) != bool(times.get("quiet_end")):
        errors["quiet_end"] = [tr("Quiet hours need a start and an end.")]
    try:
        priority = int(data.get("priority", 50))
        if not 0 <= priority <= 1000:
            raise ValueError
    except (TypeError, ValueError):
        errors["priority"] = [tr("Priority from 0 to 1000.")]
        priority = 50
    period = {}
    for field in ("active_from", "active_until"):
        value = data.get(field)
        try:
            period[field] = date.fromisoformat(str(value)) if value else None
        except ValueError:
            errors[field] = [tr("Dates as YYYY-MM-DD.")]
    start, end = period.get("active_from"), period.get("active_until")
    if start and end and end < start:
        errors["active_until"] = [tr("The period ends before it starts.")]
    targets = {
        key: _int_list(data.get(key), key, errors)
        for key in ("region_ids", "franchisee_ids", "store_ids", "group_ids")
    }
    for key, model in TARGET_MODELS.items():
        unknown = _unknown_ids(model, targets[key])
        if unknown:
            shown = ", ".join(str(i) for i in unknown[:10]) + ("…" if len(unknown) > 10 else "")
            errors[key] = [tr("Unknown id: %(ids)s.", ids=shown)]
    status = data.get("status") or "active"
    if status not in ("active", "paused", "ended"):
        errors["status"] = [tr("Unknown status.")]
    if errors:
        raise PlanInvalid(next(iter(errors.values()))[0], errors=errors)
    if plan is None:
        plan = PushPlan(created_by=user_id)
        db.session.add(plan)
    plan.name, plan.post_id, plan.stages, plan.segments = name, post_id, stages, segments
    plan.schedule_kind, plan.weekdays, plan.dates = kind, weekdays, dates
    plan.relative_day, plan.priority, plan.status = relative_day, priority, status
    plan.send_time = times["send_time"]
    plan.quiet_start, plan.quiet_end = times.get("quiet_start"), times.get("quiet_end")
    plan.active_from, plan.active_until = period.get("active_from"), period.get("active_until")
    for key, value in targets.items():
        setattr(plan, key, value)
    if "template_id" in data:
        plan.template_id = data["template_id"]
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return plan


def get_plan(plan_id: int) -> PushPlan:
    plan = db.session.get(PushPlan, plan_id) if isinstance(plan_id, int) else None
    if plan is None:
        raise NotFound(tr("Plan not found."))
    return plan


def next_days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]
