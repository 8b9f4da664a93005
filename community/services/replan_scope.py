"""Which groups a targeted re-plan covers, as SQL: groups named by id and the groups a
plan's target filter matches (a plan's stages, segments, regions, franchisees, stores and
explicit groups; every non-empty filter must hold, as ``allocation.targets`` decides).

A group's schedule depends only on the plans, the policy and its own rows, so a change to
a plan concerns only the groups it targeted before the change and those it targets after:
the ``community.replan`` row carries both filters (``{"targets": [...]}``) and the planner
loads "the active groups matching these filters" and their rows in one set-based query
each, however many groups that is (a plan over a stage of 30,000 groups is re-planned
without falling back to every group). A filter with no condition targets every group.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from community.models import PushPlan, WecomGroup

# a plan's target lists → the group column each one filters
TARGET_COLUMNS = {
    "stages": WecomGroup.stage,
    "segments": WecomGroup.segment,
    "region_ids": WecomGroup.region_id,
    "franchisee_ids": WecomGroup.franchisee_id,
    "store_ids": WecomGroup.store_id,
    "group_ids": WecomGroup.id,
}
PLAN_TARGET_COLUMNS = tuple(getattr(PushPlan, key) for key in TARGET_COLUMNS)


def target_of(values: Mapping | object) -> dict:
    """The target filter of a plan (or of a mapping with its target lists): each non-empty
    list sorted, under its key; ``{}`` when the plan targets every group."""
    get = values.get if isinstance(values, Mapping) else lambda k: getattr(values, k, None)
    target = {}
    for key in TARGET_COLUMNS:
        chosen = get(key)
        if chosen:
            target[key] = sorted(set(chosen))
    return target


def distinct_targets(targets: Iterable[Mapping]) -> list[dict]:
    """The targets normalised (``target_of``), each once, in a stable order (a payload
    compares equal however its requests arrived)."""
    found = {json.dumps(t, sort_keys=True): t for t in map(target_of, targets)}
    return [found[k] for k in sorted(found)]


def target_clause(target: Mapping) -> ColumnElement[bool]:
    """The groups ``target`` matches, as a condition on ``wecom_groups``."""
    return and_(true(), *(TARGET_COLUMNS[k].in_(v) for k, v in target.items()))


@dataclass(frozen=True)
class Scope:
    """The groups a targeted re-plan covers: ``group_ids`` and whatever ``targets`` match."""

    group_ids: tuple[int, ...] = ()
    targets: tuple[dict, ...] = ()

    def groups(self) -> ColumnElement[bool]:
        """The covered groups, as a condition on ``wecom_groups`` (any status)."""
        named = [WecomGroup.id.in_(self.group_ids)] if self.group_ids else []
        return or_(false(), *named, *(target_clause(t) for t in self.targets))

    def rows(self, group_column) -> ColumnElement[bool]:
        """The covered groups' rows, as a condition on a ``group_id`` column: the ids alone
        when only ids are named, else a sub-select over ``wecom_groups``."""
        if not self.targets:
            return group_column.in_(self.group_ids)
        return group_column.in_(select(WecomGroup.id).where(self.groups()))


def scope_of(
    group_ids: Collection[int] | None, targets: Iterable[Mapping] | None = None
) -> Scope | None:
    """The ``Scope`` of these groups and targets; None (every group) when neither is
    given or a target matches every group."""
    if group_ids is None and targets is None:
        return None
    found = distinct_targets(targets or ())
    if any(not t for t in found):
        return None
    return Scope(tuple(sorted(set(group_ids or ()))), tuple(found))


def plan_targets(session, plan_ids: Collection[int] = (), post_ids: Collection[int] = ()):
    """The stored target filters of these plans and of the plans sending these posts."""
    conditions = []
    if plan_ids:
        conditions.append(PushPlan.id.in_(sorted(plan_ids)))
    if post_ids:
        conditions.append(PushPlan.post_id.in_(sorted(post_ids)))
    if not conditions:
        return []
    rows = session.execute(select(*PLAN_TARGET_COLUMNS).where(or_(*conditions))).all()
    return [target_of(dict(zip(TARGET_COLUMNS, row, strict=True))) for row in rows]
