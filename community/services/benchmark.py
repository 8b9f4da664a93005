"""Benchmark replication: a proven group's plans → a template → plans for a cohort.

``make_template(group_id)`` reads the plans that reached the benchmark group (plans with an
allocated slot for it, else those whose targets match it today) and freezes their post and
schedule. ``apply_template`` creates one plan per template entry targeting exactly the
chosen groups (``group_ids``, ``template_id``) and records the cohort. ``compare`` puts the
cohort's figures next to the benchmark's: member growth since the cohort started, send rate
(sent / delivered-to groups) and purchased share (purchased members / customers).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.clock import shanghai_day
from app.errors import DomainError, NotFound
from app.extensions import db
from app.i18n import tr
from community.models import (
    ALLOCATED,
    DELIVERY_SENT,
    BenchmarkCohort,
    BenchmarkTemplate,
    GroupDailyMetric,
    GroupDelivery,
    PushPlan,
    SlotAllocation,
    WecomGroup,
)
from community.services import allocation
from community.services import plans as plan_service

PLAN_FIELDS = (
    "name",
    "post_id",
    "schedule_kind",
    "weekdays",
    "dates",
    "relative_day",
    "send_time",
    "quiet_start",
    "quiet_end",
    "priority",
)


def plans_that_reached(group: WecomGroup) -> list[PushPlan]:
    """Plans with an allocated slot for the group; else those targeting it now."""
    ids = db.session.scalars(
        select(SlotAllocation.plan_id)
        .where(SlotAllocation.group_id == group.id, SlotAllocation.status == ALLOCATED)
        .distinct()
    ).all()
    if ids:
        return list(db.session.scalars(select(PushPlan).where(PushPlan.id.in_(ids))))
    out = []
    for plan in db.session.scalars(select(PushPlan).where(PushPlan.status == "active")):
        plan._group_set = set(plan.group_ids or [])
        if allocation.plan_targets(plan, group):
            out.append(plan)
    return out


def make_template(group_id: int, name: str = "", user_id: int | None = None):
    group = db.session.get(WecomGroup, group_id)
    if group is None:
        raise NotFound(tr("Group not found."))
    if not group.is_benchmark:
        raise DomainError(tr("Mark the group as a benchmark first."), status=409)
    entries = [{f: getattr(p, f) for f in PLAN_FIELDS} for p in plans_that_reached(group)]
    if not entries:
        raise DomainError(tr("No plan has reached this group yet."), status=409)
    template = BenchmarkTemplate(
        name=(name or f"{group.name} 标杆模板")[:64],
        source_group_id=group.id,
        plans=entries,
        created_by=user_id,
    )
    db.session.add(template)
    db.session.commit()
    return template


def apply_template(template_id: int, group_ids: list[int], name: str = "", user_id=None):
    """Create the template's plans for exactly ``group_ids``; returns the cohort."""
    template = db.session.get(BenchmarkTemplate, template_id)
    if template is None:
        raise NotFound(tr("Template not found."))
    found = set(db.session.scalars(select(WecomGroup.id).where(WecomGroup.id.in_(group_ids))).all())
    if not found:
        raise DomainError(tr("Choose at least one existing group."), status=422)
    plan_ids = []
    for entry in template.plans:
        data = dict(entry)
        data.update(
            name=f"{entry['name']}·{template.id}"[:64],
            group_ids=sorted(found),
            template_id=template.id,
        )
        plan_ids.append(plan_service.save_plan(data, user_id=user_id).id)
    cohort = BenchmarkCohort(
        template_id=template.id,
        name=(name or template.name)[:64],
        group_ids=sorted(found),
        plan_ids=plan_ids,
        started_on=shanghai_day(),
    )
    db.session.add(cohort)
    db.session.commit()
    return cohort


def figures(group_ids: list[int], since: date) -> dict:
    """Member growth since ``since``, send rate and purchased share for a set of groups."""
    if not group_ids:
        return {"groups": 0, "member_growth": 0.0, "send_rate": 0.0, "purchased_share": 0.0}
    members, customers, purchased = db.session.execute(
        select(
            func.coalesce(func.sum(WecomGroup.member_count), 0),
            func.coalesce(func.sum(WecomGroup.customer_count), 0),
            func.coalesce(func.sum(WecomGroup.purchased_count), 0),
        ).where(WecomGroup.id.in_(group_ids))
    ).one()
    first_day = db.session.scalar(
        select(func.min(GroupDailyMetric.day)).where(
            GroupDailyMetric.group_id.in_(group_ids), GroupDailyMetric.day >= since
        )
    )
    start_members = members
    if first_day is not None:
        start_members = (
            db.session.scalar(
                select(func.sum(GroupDailyMetric.member_count)).where(
                    GroupDailyMetric.group_id.in_(group_ids), GroupDailyMetric.day == first_day
                )
            )
            or members
        )
    total, sent = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum((GroupDelivery.status == DELIVERY_SENT).cast(db.Integer)), 0),
        ).where(GroupDelivery.group_id.in_(group_ids), GroupDelivery.day >= since)
    ).one()
    return {
        "groups": len(group_ids),
        "members": int(members),
        "member_growth": round((members - start_members) / start_members, 4)
        if start_members
        else 0.0,
        "send_rate": round(sent / total, 4) if total else 0.0,
        "purchased_share": round(purchased / customers, 4) if customers else 0.0,
    }


def compare(cohort: BenchmarkCohort) -> dict:
    """The cohort's figures and the benchmark group's, over the same period."""
    source = cohort.template.source_group_id
    return {
        "cohort": figures(list(cohort.group_ids or []), cohort.started_on),
        "benchmark": figures([source], cohort.started_on),
    }
