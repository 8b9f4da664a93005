"""Push plans (SOP): targeting, schedules and quiet hours.

A plan is *due* on an Asia/Shanghai day for a group when it is active that day and its
schedule matches: ``weekly`` (weekday 0 = Monday in ``weekdays``), ``dates`` (the day in
``dates``) or ``relative`` (the day is ``relative_day`` days after the group was created).
Its send time moves out of the quiet window to the window's end on the same day; if the
window runs past midnight the send waits (reason "quiet hours").
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from marshmallow import ValidationError
from sqlalchemy import select

from app import clock
from app.clock import SHANGHAI
from app.db import commit_or_rollback
from app.errors import DomainError, NotFound
from app.extensions import db
from app.i18n import tr
from app.validation_messages import flat_errors
from community.models import (
    PURPOSES,
    SCHEDULE_DATES,
    SCHEDULE_RELATIVE,
    SCHEDULE_WEEKLY,
    ContentPost,
    PushPlan,
    WecomGroup,
)
from community.schemas import PlanSchema
from franchise.models import Franchisee, Region, Store

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


def _unknown_ids(model, ids: list[int]) -> list[int]:
    """The ``ids`` with no row in ``model``'s table (a plan aimed at nothing is refused)."""
    if not ids:
        return []
    found = set(db.session.scalars(select(model.id).where(model.id.in_(ids))))
    return [i for i in ids if i not in found]


def _loaded(data: dict) -> tuple[dict, dict[str, list[str]]]:
    """``data`` through ``PlanSchema``: the valid values and the errors per top-level field.

    A ``None`` counts as "not given" for a field that takes no ``None`` (a benchmark
    template's copy of a plan holds its empty columns as ``None``); ``template_id`` is
    the caller's, not input.
    """
    schema = PlanSchema()
    given = {
        key: value
        for key, value in data.items()
        if key != "template_id"
        and (
            value is not None or key not in schema.load_fields or schema.load_fields[key].allow_none
        )
    }
    try:
        return schema.load(given), {}
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for field, texts in flat_errors(exc.messages).items():
            errors.setdefault(field.split(".")[0], []).extend(texts)
        return dict(exc.valid_data or {}), errors


def load_plan(data: dict) -> dict:
    """The clean plan values of ``data`` (JSON-shaped: the API's body, a page's form values,
    a job's dict); raises ``PlanInvalid`` naming every bad field: ``PlanSchema`` first,
    then the rules across fields and the ids that must exist."""
    clean, errors = _loaded(data)

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    clean["name"] = (clean.get("name") or "").strip()
    if "name" not in errors and not clean["name"]:
        fail("name", tr("Name is required, at most 64 characters."))
    post_id = clean.get("post_id")
    if "post_id" not in errors and db.session.get(ContentPost, post_id or 0) is None:
        fail("post_id", tr("Choose a post from the library."))
    try:
        clean["dates"] = [date.fromisoformat(d).isoformat() for d in clean.get("dates", [])]
    except ValueError:
        fail("dates", tr("Dates as YYYY-MM-DD."))
    clean["weekdays"] = sorted(set(clean.get("weekdays") or []))
    kind = clean.get("schedule_kind")
    if kind == SCHEDULE_WEEKLY and not clean["weekdays"]:
        fail("weekdays", tr("Pick at least one weekday."))
    if kind == SCHEDULE_DATES and not clean["dates"]:
        fail("dates", tr("Give at least one date."))
    if kind == SCHEDULE_RELATIVE and clean.get("relative_day") is None:
        fail("relative_day", tr("Give the day after creation."))
    if (
        bool(clean.get("quiet_start")) != bool(clean.get("quiet_end"))
        and "quiet_start" not in errors
    ):
        fail("quiet_end", tr("Quiet hours need a start and an end."))
    start, end = clean.get("active_from"), clean.get("active_until")
    if start and end and end < start:
        fail("active_until", tr("The period ends before it starts."))
    low, high = clean.get("window_from"), clean.get("window_to")
    if low is not None and high is not None and high < low:
        fail("window_to", tr("The window ends before it starts."))
    for key, model in TARGET_MODELS.items():
        clean[key] = sorted(set(clean.get(key) or []))
        unknown = _unknown_ids(model, clean[key])
        if unknown and key not in errors:
            shown = ", ".join(str(i) for i in unknown[:10]) + ("…" if len(unknown) > 10 else "")
            fail(key, tr("Unknown id: %(ids)s.", ids=shown))
    if errors:
        raise PlanInvalid(next(iter(errors.values()))[0], errors=errors)
    return clean


PLAN_COLUMNS = (
    "name", "post_id", "stages", "segments", "schedule_kind", "weekdays", "dates",
    "relative_day", "priority", "status", "send_time", "quiet_start", "quiet_end",
    "active_from", "active_until", "window_from", "window_to", *TARGET_MODELS,
)  # fmt: skip


def save_plan(data: dict, plan: PushPlan | None = None, user_id: int | None = None) -> PushPlan:
    """Validate (``load_plan``) and store a plan; commits."""
    clean = load_plan(data)
    if plan is None:
        plan = PushPlan(created_by=user_id)
        db.session.add(plan)
    for key in PLAN_COLUMNS:
        setattr(plan, key, clean.get(key))
    if "template_id" in data:
        plan.template_id = data["template_id"]
    commit_or_rollback(db.session)
    return plan


def get_plan(plan_id: int) -> PushPlan:
    plan = db.session.get(PushPlan, plan_id) if isinstance(plan_id, int) else None
    if plan is None:
        raise NotFound(tr("Plan not found."))
    return plan


def next_days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]
