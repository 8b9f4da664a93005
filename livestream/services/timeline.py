"""The campaign timeline: dated steps counted from the live day, and their status board.

Days are Asia/Shanghai dates; T is the live day (``live_at`` in Shanghai). Default steps:
targets T-60..T-55, training T-10..T-7, warm-up T-3..T-1, readiness gate T-1, live T,
review T+1. A live sooner than 60 days out starts no step before the campaign's creation
day. A step is *done* (``done_at`` set), *late* (due day passed, not done), *due* (started,
not past due) or *upcoming*. Other areas read the training step's ``due_on``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.clock import shanghai_day, utcnow
from app.db import commit_or_rollback
from app.errors import Conflict, NotFound
from app.extensions import db
from app.i18n import tr
from app.web.i18n import N_
from franchise.services.base import Invalid
from livestream.models.campaigns import (
    CANCELLED,
    ENDED,
    LIVE,
    REVIEWED,
    STEP_CUSTOM,
    STEP_GATE,
    STEP_LIVE,
    STEP_REVIEW,
    STEP_TARGETS,
    STEP_TRAINING,
    STEP_WARMUP,
    Campaign,
    TimelineStep,
)

# kind → (title, start offset, due offset) in days from the live day
DEFAULT_STEPS = (
    (STEP_TARGETS, N_("Set targets"), -60, -55),
    (STEP_TRAINING, N_("Guide training"), -10, -7),
    (STEP_WARMUP, N_("Warm-up pushes"), -3, -1),
    (STEP_GATE, N_("Readiness gate"), -1, -1),
    (STEP_LIVE, N_("Live day"), 0, 0),
    (STEP_REVIEW, N_("Review"), 1, 1),
)
DONE, LATE, DUE, UPCOMING = "done", "late", "due", "upcoming"
MAX_SPAN_DAYS = 400  # a step may not sit further than this from the live day


def live_day(campaign: Campaign) -> date:
    """T: the Shanghai date of the live."""
    return shanghai_day(campaign.live_at)


def created_day(campaign: Campaign) -> date:
    """The Shanghai day the campaign was created (today while it is not flushed yet)."""
    return shanghai_day(campaign.created_at) if campaign.created_at else shanghai_day()


def default_dates(t: date, floor: date) -> dict[str, tuple[date, date]]:
    """``{kind: (starts_on, due_on)}`` of the default steps, none starting before ``floor``
    (unless the live day itself is before it)."""
    floor = min(floor, t)
    out = {}
    for kind, _title, start, due in DEFAULT_STEPS:
        starts_on = max(t + timedelta(days=start), floor)
        due_on = max(t + timedelta(days=due), starts_on)
        out[kind] = (starts_on, due_on)
    return out


def generate(campaign: Campaign) -> list[TimelineStep]:
    """Add the default steps to a new campaign (no commit; the caller's service commits)."""
    dates = default_dates(live_day(campaign), created_day(campaign))
    steps = []
    for kind, title, _start, _due in DEFAULT_STEPS:
        starts_on, due_on = dates[kind]
        step = TimelineStep(kind=kind, title=title, starts_on=starts_on, due_on=due_on)
        campaign.steps.append(step)
        steps.append(step)
    return steps


def shift(campaign: Campaign, old_live_at: datetime | None = None) -> None:
    """Re-date the steps not done after ``live_at`` changed (no commit).

    With ``old_live_at`` every open step moves by the days T moved (keeping HQ's edits),
    never before the creation day; without it the open default steps take their default
    dates again.
    """
    floor = min(created_day(campaign), live_day(campaign))
    if old_live_at is None:
        dates = default_dates(live_day(campaign), floor)
        for step in campaign.steps:
            if step.done_at is None and step.kind in dates:
                step.starts_on, step.due_on = dates[step.kind]
        return
    delta = live_day(campaign) - shanghai_day(old_live_at)
    if not delta:
        return
    for step in campaign.steps:
        if step.done_at is None:
            step.starts_on = max(step.starts_on + delta, floor)
            step.due_on = max(step.due_on + delta, step.starts_on)


def step_of(campaign: Campaign, kind: str) -> TimelineStep | None:
    """The campaign's first step of ``kind`` (e.g. ``"training"``), or None."""
    return next((s for s in campaign.steps if s.kind == kind), None)


def get_step(step_id: int, campaign_id: int | None = None) -> TimelineStep:
    """The step (of ``campaign_id`` when given), else 404."""
    valid = isinstance(step_id, int) and 0 < step_id < 2**31
    step = db.session.get(TimelineStep, step_id) if valid else None
    if step is None or (campaign_id is not None and step.campaign_id != campaign_id):
        raise NotFound("Step not found")
    return step


def _validated_dates(campaign: Campaign, starts_on, due_on) -> tuple[date, date]:
    errors: dict[str, list[str]] = {}
    t = live_day(campaign)
    parsed = {}
    for field, value in (("starts_on", starts_on), ("due_on", due_on)):
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                value = None
        if not isinstance(value, date) or abs((value - t).days) > MAX_SPAN_DAYS:
            errors[field] = [tr("A date (YYYY-MM-DD) within 400 days of the live.")]
        parsed[field] = value
    if not errors and parsed["due_on"] < parsed["starts_on"]:
        errors["due_on"] = [tr("The due day is before the start.")]
    if errors:
        raise Invalid(tr("The request has invalid fields."), errors=errors)
    return parsed["starts_on"], parsed["due_on"]


def _title(title) -> str:
    title = (title or "").strip() if isinstance(title, str) else ""
    if not title or len(title) > 64:
        raise Invalid(
            tr("The request has invalid fields."), errors={"title": [tr("1 to 64 characters.")]}
        )
    return title


def _note(note) -> str:
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > 255:
        raise Invalid(
            tr("The request has invalid fields."), errors={"note": [tr("At most 255 characters.")]}
        )
    return note


def edit_step(
    step_id: int,
    starts_on=None,
    due_on=None,
    title: str | None = None,
    note: str | None = None,
    campaign_id: int | None = None,
) -> TimelineStep:
    """Change a step's dates (both or neither), title or note; commits."""
    step = get_step(step_id, campaign_id)
    if starts_on is not None or due_on is not None:
        step.starts_on, step.due_on = _validated_dates(
            step.campaign, starts_on or step.starts_on, due_on or step.due_on
        )
    if title is not None:
        step.title = _title(title)
    if note is not None:
        step.note = _note(note)
    commit_or_rollback(db.session)
    return step


def add_step(campaign: Campaign, title: str, starts_on, due_on, note: str = "") -> TimelineStep:
    """Add a custom step; commits."""
    starts, due = _validated_dates(campaign, starts_on, due_on)
    step = TimelineStep(
        kind=STEP_CUSTOM, title=_title(title), starts_on=starts, due_on=due, note=_note(note)
    )
    campaign.steps.append(step)
    commit_or_rollback(db.session)
    return step


EARLY_DAYS = 3  # done more than this many days before its window asks for a reason
EARLY_REASON_MIN = 5


def early_limit(today: date | None = None) -> date:
    """A step starting after this day is "long before its window" today."""
    return (today or shanghai_day()) + timedelta(days=EARLY_DAYS)


def mark_done(
    step_id: int,
    user_id: int | None,
    campaign_id: int | None = None,
    early_reason: str | None = None,
) -> TimelineStep:
    """Mark a step done now by ``user_id`` (done twice: 409); commits.

    A step whose window starts more than ``EARLY_DAYS`` days ahead is done only with an
    ``early_reason`` (422 on ``early_reason`` otherwise), kept as the step's note.
    """
    step = get_step(step_id, campaign_id)
    if step.done_at is not None:
        raise Conflict(tr("The step is already done."))
    reason = (early_reason or "").strip()
    if step.starts_on > early_limit():
        if len(reason) < EARLY_REASON_MIN:
            message = tr(
                "This step's window starts on %(day)s: to mark it done this early, give a "
                "reason (at least %(n)s characters).",
                day=step.starts_on.isoformat(),
                n=EARLY_REASON_MIN,
            )
            raise Invalid(message, errors={"early_reason": [message]})
        step.note = reason[:255]
    step.done_at, step.done_by = utcnow(), user_id
    commit_or_rollback(db.session)
    return step


def reopen(step_id: int, campaign_id: int | None = None) -> TimelineStep:
    """Take a step back to not done; commits."""
    step = get_step(step_id, campaign_id)
    step.done_at, step.done_by = None, None
    commit_or_rollback(db.session)
    return step


def state_of(step: TimelineStep, today: date) -> str:
    """done | late | due | upcoming on ``today``."""
    if step.done_at is not None:
        return DONE
    if step.due_on < today:
        return LATE
    if step.starts_on <= today:
        return DUE
    return UPCOMING


def board(campaign: Campaign, today: date | None = None) -> list[dict]:
    """Every step in date order with its state on ``today`` (default: Shanghai today)."""
    today = today or shanghai_day()
    steps = sorted(campaign.steps, key=lambda s: (s.starts_on, s.due_on, s.id or 0))
    return [
        {
            "id": s.id,
            "kind": s.kind,
            "title": s.title,
            "starts_on": s.starts_on,
            "due_on": s.due_on,
            "done_at": s.done_at,
            "done_by": s.done_by,
            "note": s.note or "",
            "state": state_of(s, today),
        }
        for s in steps
    ]


def phase(campaign: Campaign, today: date | None = None) -> str:
    """The current step kind: the latest default step started by ``today`` (before the
    first one: that one). The status wins once the live ran: live → ``live``, ended or
    reviewed → ``review``, cancelled → ``cancelled``."""
    if campaign.status == CANCELLED:
        return CANCELLED
    if campaign.status == LIVE:
        return STEP_LIVE
    if campaign.status in (ENDED, REVIEWED):
        return STEP_REVIEW
    today = today or shanghai_day()
    steps = sorted(
        (s for s in campaign.steps if s.kind != STEP_CUSTOM), key=lambda s: (s.starts_on, s.id or 0)
    )
    if not steps:
        return STEP_TARGETS
    current = steps[0]
    for step in steps:
        if step.starts_on <= today:
            current = step
    return current.kind


def training_due_on(campaign_id: int) -> date | None:
    """The training step's due day (other areas flag late training against it)."""
    return db.session.scalar(
        select(TimelineStep.due_on)
        .where(TimelineStep.campaign_id == campaign_id, TimelineStep.kind == STEP_TRAINING)
        .order_by(TimelineStep.id)
        .limit(1)
    )
