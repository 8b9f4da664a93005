"""What in livestream needs attention today: campaign steps late or due, readiness gates
blocked. The overview counts them (``livestream.admin.attention``) and the campaign list
filters by the same conditions (``?attention=steps`` / ``?attention=gate``), so a count
and the list behind its link always agree.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, bindparam, exists, func, select

from app.auth.principal import Principal
from app.clock import shanghai_day, utcnow
from app.db import fixed_values
from livestream.models import Campaign
from livestream.models.campaigns import OVER, SCHEDULED, TimelineStep
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
    over = fixed_values(Campaign.status, OVER)  # rendered once
    return step & Campaign.status.not_in(over)


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


def figures(principal: Principal) -> Select:
    """One row among the campaigns ``principal`` may see: how many have steps late or due
    (``steps_open_clause``), and how many are gate candidates (``_gate_candidate_clause``);
    today and the gate horizon are the parameters ``day`` and ``horizon``."""
    steps = steps_open_clause(bindparam("day"))
    gate = _gate_candidate_clause(bindparam("horizon"))
    counted = select(func.count().filter(steps), func.count().filter(gate)).select_from(Campaign)
    return visible_campaigns(counted, principal=principal)


def horizon(common: dict) -> dict:
    """The gate horizon at the view's moment."""
    return {"horizon": common["now"] + GATE_HORIZON}


def counts(principal: Principal, steps: int, gate_candidates: int) -> dict[str, int]:
    """``{"steps": n, "gate": n}`` from ``figures``' row: the gates blocked among the
    candidates are the list's own (``blocked_gate_ids``: readiness is evaluated in Python,
    so only when there is a candidate at all), so a count and its list always agree."""
    gate = len(blocked_gate_ids(visible_campaigns(principal=principal))) if gate_candidates else 0
    return {STEPS: int(steps or 0), GATE: gate}
