"""What in livestream needs attention today: campaign steps late or due, readiness gates
blocked. The overview counts them (``livestream.admin.attention``) and the campaign list
filters by the same conditions (``?attention=steps`` / ``?attention=gate``), so a count
and the list behind its link always agree.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, exists

from app.clock import shanghai_day, utcnow
from livestream.models import Campaign
from livestream.models.campaigns import CANCELLED, ENDED, REVIEWED, SCHEDULED, TimelineStep
from livestream.services import readiness

STEPS, GATE = "steps", "gate"
KINDS = (STEPS, GATE)
GATE_HORIZON = timedelta(days=7)  # a gate matters once the live is this close


def steps_open_clause():
    """Campaigns (not over) with a step not done whose window has begun (late or due)."""
    step = exists().where(
        TimelineStep.campaign_id == Campaign.id,
        TimelineStep.done_at.is_(None),
        TimelineStep.starts_on <= shanghai_day(),
    )
    return step & Campaign.status.not_in((ENDED, REVIEWED, CANCELLED))


def _gate_candidate_clause():
    """Scheduled, live within ``GATE_HORIZON``: the campaigns whose gate is evaluated."""
    return (
        (Campaign.status == SCHEDULED)
        & Campaign.live_at.is_not(None)
        & (Campaign.live_at <= utcnow() + GATE_HORIZON)
    )


def _gate_candidates(stmt: Select) -> Select:
    return stmt.where(_gate_candidate_clause())


def blocked_gate_ids(stmt: Select) -> list[int]:
    """Ids of the scheduled campaigns live within a week whose gate is not ready."""
    from app.extensions import db

    return [c.id for c in db.session.scalars(_gate_candidates(stmt)) if not _ready(c)]


def _ready(campaign: Campaign) -> bool:
    return bool(readiness.evaluate(campaign)["ready"])


def narrow(stmt: Select, kind: str | None) -> Select:
    """``stmt`` (over ``Campaign``) limited to the campaigns that need ``kind`` of attention."""
    if kind == STEPS:
        return stmt.where(steps_open_clause())
    if kind == GATE:
        return stmt.where(Campaign.id.in_(blocked_gate_ids(stmt)))
    return stmt


def counts(visible: Select) -> dict[str, int]:
    """``{"steps": n, "gate": n}`` among the ``visible`` campaigns: the clauses of
    ``narrow``, in one statement (each campaign flagged by both)."""
    from app.extensions import db

    steps, gate = steps_open_clause(), _gate_candidate_clause()
    rows = db.session.execute(
        visible.add_columns(steps.label("steps"), gate.label("gate")).where(steps | gate)
    ).all()
    return {
        STEPS: sum(1 for row in rows if row.steps),
        GATE: sum(1 for row in rows if row.gate and not _ready(row[0])),
    }
