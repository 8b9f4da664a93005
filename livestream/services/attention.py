"""What in livestream needs attention today: campaign steps late or due, readiness gates
blocked. The overview counts them (``livestream.admin.attention``) and the campaign list
filters by the same conditions (``?attention=steps`` / ``?attention=gate``), so a count
and the list behind its link always agree.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, bindparam, exists

from app.auth.bound_scope import built_once
from app.auth.principal import Principal
from app.clock import shanghai_day, utcnow
from livestream.models import Campaign
from livestream.models.campaigns import CANCELLED, ENDED, REVIEWED, SCHEDULED, TimelineStep
from livestream.services import readiness
from livestream.services.access import visible_campaigns

STEPS, GATE = "steps", "gate"
KINDS = (STEPS, GATE)
GATE_HORIZON = timedelta(days=7)  # a gate matters once the live is this close


def steps_open_clause(day=None):
    """Campaigns (not over) with a step not done whose window has begun (late or due) by
    ``day`` (today in Shanghai, or a bound parameter)."""
    step = exists().where(
        TimelineStep.campaign_id == Campaign.id,
        TimelineStep.done_at.is_(None),
        TimelineStep.starts_on <= (shanghai_day() if day is None else day),
    )
    return step & Campaign.status.not_in((ENDED, REVIEWED, CANCELLED))


def _gate_candidate_clause(horizon=None):
    """Scheduled, live within ``GATE_HORIZON`` (by ``horizon``, now plus it or a bound
    parameter): the campaigns whose gate is evaluated."""
    return (
        (Campaign.status == SCHEDULED)
        & Campaign.live_at.is_not(None)
        & (Campaign.live_at <= (utcnow() + GATE_HORIZON if horizon is None else horizon))
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


def _flagged(principal: Principal) -> Select:
    """The campaigns ``principal`` may see that need either kind of attention, each with
    its two flags (today and the gate horizon are the parameters ``day`` and ``horizon``)."""
    steps = steps_open_clause(bindparam("day"))
    gate = _gate_candidate_clause(bindparam("horizon"))
    visible = visible_campaigns(principal=principal)
    return visible.add_columns(steps.label("steps"), gate.label("gate")).where(steps | gate)


def counts(principal: Principal) -> dict[str, int]:
    """``{"steps": n, "gate": n}`` among the campaigns the viewer may see: the clauses of
    ``narrow``, in one statement (each campaign flagged by both), built once per role
    (``app.auth.bound_scope``)."""
    from app.extensions import db

    stmt, params = built_once(_flagged, principal)
    moments = {"day": shanghai_day(), "horizon": utcnow() + GATE_HORIZON}
    rows = db.session.execute(stmt, {**params, **moments}).all()
    return {
        STEPS: sum(1 for row in rows if row.steps),
        GATE: sum(1 for row in rows if row.gate and not _ready(row[0])),
    }
