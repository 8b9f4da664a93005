"""Lifecycle stages: ``cold_start`` → ``seeding`` → ``benchmark`` → ``lifecycle``.

Each step has one explainable rule over figures we measure (``group_figures``); all of
a rule's conditions must hold. Thresholds are the defaults below, overridden per key by
``app.config["COMMUNITY_STAGE_RULES"]`` (e.g. ``{"seeding": {"min_members": 40}}``):

* ``cold_start_to_seeding``: members ≥ ``min_members`` and group age ≥ ``min_age_days``;
* ``seeding_to_benchmark``: members ≥ ``min_members``, net growth (joins − leaves) over the
  last ``growth_days`` ≥ ``min_net_growth``, purchase share ≥ ``min_purchase_share`` and
  push send rate (sends done / planned over the finished days of ``growth_days``, today
  excluded; 0 when none planned) ≥ ``min_send_rate``;
* ``benchmark_to_lifecycle``: purchased members ≥ ``min_purchased`` and age ≥
  ``min_age_days`` — a proven group settles into long-term care.

Stages only move forward, one rule at a time (a group may pass several in one evaluation,
one history row each). A transition writes ``GroupStageChange`` with the rule and the
figures that fired it. Groups HQ pinned (``stage_overridden``) are skipped until released.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, select

from app.clock import as_utc, shanghai_day, utcnow
from app.errors import Conflict, DomainError
from app.extensions import db
from community.models.groups import (
    BENCHMARK,
    COLD_START,
    LIFECYCLE,
    SEEDING,
    STAGES,
    GroupDailyMetric,
    GroupStageChange,
    WecomGroup,
)
from community.services import segments

DEFAULT_STAGE_RULES: dict[str, dict[str, float]] = {
    SEEDING: {"min_members": 30, "min_age_days": 7},
    BENCHMARK: {
        "min_members": 80,
        "growth_days": 14,
        "min_net_growth": 10,
        "min_purchase_share": 0.3,
        "min_send_rate": 0.6,
    },
    LIFECYCLE: {"min_purchased": 30, "min_age_days": 90},
}
RULE_NAMES = {
    SEEDING: "cold_start_to_seeding",
    BENCHMARK: "seeding_to_benchmark",
    LIFECYCLE: "benchmark_to_lifecycle",
}
NEXT_STAGE = {COLD_START: SEEDING, SEEDING: BENCHMARK, BENCHMARK: LIFECYCLE}
OVERRIDE, RELEASE = "override", "override_released"


def stage_rules() -> dict:
    """Thresholds per target stage: the defaults with the configured values on top."""
    configured = current_app.config["COMMUNITY_STAGE_RULES"] or {}
    return {
        stage: {**defaults, **(configured.get(stage) or {})}
        for stage, defaults in DEFAULT_STAGE_RULES.items()
    }


def group_figures(group: WecomGroup, growth_days: int = 14) -> dict:
    """What the rules read: size, age, growth, purchases and the push send rate."""
    today = shanghai_day()
    since = today - timedelta(days=growth_days - 1)
    # sends count only for finished days: today's and tomorrow's slots (the allocator runs
    # ahead for the calendar) are planned but cannot be done yet
    finished = GroupDailyMetric.day < today
    joins, leaves, planned, done = db.session.execute(
        select(
            func.coalesce(func.sum(GroupDailyMetric.joins), 0),
            func.coalesce(func.sum(GroupDailyMetric.leaves), 0),
            func.coalesce(func.sum(case((finished, GroupDailyMetric.sends_planned), else_=0)), 0),
            func.coalesce(func.sum(case((finished, GroupDailyMetric.sends_done), else_=0)), 0),
        ).where(
            GroupDailyMetric.group_id == group.id,
            GroupDailyMetric.day >= since,
            GroupDailyMetric.day <= today,
        )
    ).one()
    born = as_utc(group.wecom_created_at or group.created_at)
    age_days = max(0, (utcnow() - born).days) if born else 0
    return {
        "member_count": group.member_count,
        "customer_count": group.customer_count,
        "purchased_count": group.purchased_count,
        "purchase_share": round(segments.purchase_share(group), 4),
        "age_days": age_days,
        "joins": int(joins),
        "leaves": int(leaves),
        "net_growth": int(joins) - int(leaves),
        "sends_planned": int(planned),
        "sends_done": int(done),
        "send_rate": round(int(done) / int(planned), 4) if planned else 0.0,
    }


def check(target: str, figures: dict, rules: dict) -> list[dict]:
    """Each condition of the rule into ``target``: figure, threshold, whether it holds."""
    r = rules[target]
    pairs = {
        SEEDING: [("member_count", "min_members"), ("age_days", "min_age_days")],
        BENCHMARK: [
            ("member_count", "min_members"),
            ("net_growth", "min_net_growth"),
            ("purchase_share", "min_purchase_share"),
            ("send_rate", "min_send_rate"),
        ],
        LIFECYCLE: [("purchased_count", "min_purchased"), ("age_days", "min_age_days")],
    }[target]
    return [
        {"figure": f, "value": figures[f], "threshold": r[t], "ok": figures[f] >= r[t]}
        for f, t in pairs
    ]


def explain(group: WecomGroup) -> dict:
    """The next rule for the page: its name and each condition with the current figure."""
    target = NEXT_STAGE.get(group.stage)
    if target is None:
        return {"rule": None, "target": None, "conditions": []}
    rules = stage_rules()
    figures = group_figures(group, rules[BENCHMARK]["growth_days"])
    return {
        "rule": RULE_NAMES[target],
        "target": target,
        "conditions": check(target, figures, rules),
    }


def _record(group, to_stage, rule, figures, actor=None, reason="") -> GroupStageChange:
    change = GroupStageChange(
        group_id=group.id,
        from_stage=group.stage,
        to_stage=to_stage,
        rule=rule,
        figures=figures,
        actor_user_id=actor,
        reason=reason[:255],
    )
    db.session.add(change)
    group.stage, group.stage_changed_at = to_stage, utcnow()
    return change


def evaluate(group: WecomGroup, rules: dict | None = None) -> list[GroupStageChange]:
    """Move a group forward while the next rule holds (no commit); skips pinned groups."""
    if group.stage_overridden:
        return []
    rules = rules or stage_rules()
    changes = []
    while (target := NEXT_STAGE.get(group.stage)) is not None:
        figures = group_figures(group, rules[BENCHMARK]["growth_days"])
        conditions = check(target, figures, rules)
        if not all(c["ok"] for c in conditions):
            break
        fired = {c["figure"]: c["value"] for c in conditions}
        fired["thresholds"] = {c["figure"]: c["threshold"] for c in conditions}
        changes.append(_record(group, target, RULE_NAMES[target], fired))
    return changes


def evaluate_all(progress=None) -> dict:
    """Refresh segments, then evaluate every active group (commits per 200 groups)."""
    segments.classify_all()
    rules = stage_rules()
    ids = list(db.session.scalars(select(WecomGroup.id).where(WecomGroup.status == "active")))
    moved = skipped = 0
    for n, group_id in enumerate(ids, 1):
        group = db.session.get(WecomGroup, group_id)
        assert group is not None  # listed just now
        if group.stage_overridden:
            skipped += 1
            continue
        moved += len(evaluate(group, rules))
        if n % 200 == 0:
            db.session.commit()
            if progress:
                progress(n)
    db.session.commit()
    return {"groups": len(ids), "transitions": moved, "skipped_overridden": skipped}


def override(group: WecomGroup, stage: str, reason: str, actor_user_id: int | None) -> None:
    """HQ pins a stage with a reason (commits); the daily rules skip the group until released."""
    try:
        if stage not in STAGES:
            raise DomainError("Unknown stage.", status=422, errors={"stage": ["Unknown stage."]})
        reason = (reason or "").strip()
        if not reason:
            raise DomainError("A reason is required.", status=422, errors={"reason": ["Required."]})
        _record(group, stage, OVERRIDE, {"stage_before": group.stage}, actor_user_id, reason)
        group.stage_overridden = True
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise


def release(group: WecomGroup, actor_user_id: int | None, reason: str = "") -> None:
    """Let the daily rules move the group again (commits); 409 when it is not pinned."""
    if not group.stage_overridden:
        raise Conflict("The stage is not overridden.")
    _record(group, group.stage, RELEASE, {}, actor_user_id, reason or "released")
    group.stage_overridden = False
    db.session.commit()


def set_benchmark(group: WecomGroup, is_benchmark: bool) -> WecomGroup:
    """Mark or unmark a proven group as a benchmark for replication (commits)."""
    group.is_benchmark = bool(is_benchmark)
    db.session.commit()
    return group
