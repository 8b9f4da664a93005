"""The gate's decision history: checks, overrides, revokes and go-lives.

Each ``GateDecision`` says what it was in ``kind``: a recorded check, an override (with
its reason), a revoke that ends the override, or the go-live itself.
"""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from livestream.models import GateDecision

CHECK, OVERRIDE, REVOKE, GO_LIVE = "check", "override", "revoke", "go_live"


def decision_kind(decision: GateDecision) -> str:
    """check | override | revoke | go_live."""
    return decision.kind


def decision_reason(decision: GateDecision) -> str:
    """The reason as the person gave it."""
    return decision.reason


def active_override(campaign_id: int) -> GateDecision | None:
    """The newest override when no revoke came after it."""
    stmt = (
        select(GateDecision)
        .where(
            GateDecision.campaign_id == campaign_id,
            GateDecision.kind.in_((OVERRIDE, REVOKE)),
        )
        .order_by(GateDecision.id.desc())
        .limit(1)
    )
    latest = db.session.scalars(stmt).first()
    return latest if latest is not None and decision_kind(latest) == OVERRIDE else None


def decision_dict(decision: GateDecision) -> dict:
    """A decision for the API and the history table."""
    user = db.session.get(User, decision.decided_by) if decision.decided_by else None
    return {
        "id": decision.id,
        "kind": decision_kind(decision),
        "ready": decision.ready,
        "override": decision.override,
        "reason": decision_reason(decision),
        "blockers": decision.blockers or [],
        "decided_by": decision.decided_by,
        "decided_by_name": (user.display_name or user.username) if user else None,
        "decided_at": decision.decided_at.isoformat(),
    }


def history(campaign_id: int, limit: int = 50) -> list[dict]:
    """The newest decisions first."""
    rows = db.session.scalars(
        select(GateDecision)
        .where(GateDecision.campaign_id == campaign_id)
        .order_by(GateDecision.id.desc())
        .limit(limit)
    )
    return [decision_dict(d) for d in rows]
