"""Reward / penalty rules of a campaign: stored here, applied by the review.

A reward is earned when a unit's achievement (actual / target, percent) of ``metric`` is
at least ``threshold_pct``; a penalty when it is below. Each write commits.
"""

from __future__ import annotations

from sqlalchemy import select

from app.db import commit_or_rollback
from app.errors import NotFound
from app.extensions import db
from franchise.services.base import Invalid
from livestream.models import RewardRule
from livestream.models.targets import (
    LEVEL_STORE,
    LEVELS,
    METRICS,
    RULE_PENALTY,
    RULE_REWARD,
)
from livestream.services.access import get_campaign

MAX_AMOUNT = 10**13  # ¥100 billion: a business bound far inside the BIGINT money column
RULE_KINDS = (RULE_REWARD, RULE_PENALTY)


def _rule_data(data: dict) -> dict:
    errors: dict[str, list[str]] = {}

    def check(field, ok, message):
        if not ok:
            errors.setdefault(field, []).append(message)

    def whole(value):
        return isinstance(value, int) and not isinstance(value, bool)

    kind, level, metric = data.get("kind"), data.get("level", LEVEL_STORE), data.get("metric")
    threshold, amount = data.get("threshold_pct", 100), data.get("amount_fen", 0)
    note = data.get("note") or ""
    check("kind", kind in RULE_KINDS, "Reward or penalty.")
    check("level", level in LEVELS, "Region, franchisee, store or guide.")
    check("metric", metric in METRICS, "Unknown metric.")
    check("threshold_pct", whole(threshold) and 0 <= threshold <= 1000, "0 to 1000.")
    check("amount_fen", whole(amount) and 0 <= amount <= MAX_AMOUNT, "Zero or more.")
    check("note", isinstance(note, str) and len(note) <= 128, "At most 128 characters.")
    if errors:
        raise Invalid("The request has invalid fields.", errors=errors)
    return {
        "kind": kind,
        "level": level,
        "metric": metric,
        "threshold_pct": threshold,
        "amount_fen": amount,
        "note": note.strip(),
    }


def save_rule(campaign_id: int, data: dict, rule: RewardRule | None = None) -> RewardRule:
    """Create (or update ``rule``) a reward / penalty rule of the campaign."""
    get_campaign(campaign_id)
    clean = _rule_data(data)
    if rule is None:
        rule = RewardRule(campaign_id=campaign_id)
        db.session.add(rule)
    elif rule.campaign_id != campaign_id:
        raise NotFound("Rule not found")
    for key, value in clean.items():
        setattr(rule, key, value)
    commit_or_rollback(db.session)
    return rule


def delete_rule(rule_id: int) -> None:
    """Delete a rule (404 when there is none)."""
    rule = db.session.get(RewardRule, rule_id) if isinstance(rule_id, int) else None
    if rule is None:
        raise NotFound("Rule not found")
    db.session.delete(rule)
    commit_or_rollback(db.session)


def rules(campaign_id: int) -> list[RewardRule]:
    """The campaign's rules: rewards first, then by level and threshold."""
    stmt = (
        select(RewardRule)
        .where(RewardRule.campaign_id == campaign_id)
        .order_by(RewardRule.kind.desc(), RewardRule.level, RewardRule.threshold_pct)
    )
    return list(db.session.scalars(stmt))
