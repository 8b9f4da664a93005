"""Targets against actuals, per region, franchisee or store (and guides, without targets).

``progress(campaign_id, level)`` is what the targets editor, the live dashboard and the
review show: one row per unit of the level that has a target or an actual, with the
unit's name, its targets (``METRICS``), its actuals (``Figures.as_dict()``) and the
achievement per metric in percent (``None`` where the target is 0).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from franchise.models import Franchisee, Guide, Region, Store
from livestream.models import CampaignStore, CampaignTarget
from livestream.models.targets import (
    LEVEL_FRANCHISEE,
    LEVEL_GUIDE,
    LEVEL_REGION,
    LEVEL_STORE,
    METRICS,
)
from livestream.services import figures

NAME_MODELS: dict[str, Any] = {
    LEVEL_REGION: Region,
    LEVEL_FRANCHISEE: Franchisee,
    LEVEL_STORE: Store,
    LEVEL_GUIDE: Guide,
}


def pct(actual: int, target: int) -> float | None:
    """Achievement in percent with one decimal, or ``None`` when there is no target."""
    return round(100.0 * actual / target, 1) if target else None


def _names(level: str, ids: set) -> dict:
    model = NAME_MODELS[level]
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _participants(campaign_id: int, level: str) -> set:
    """Unit ids of ``level`` that take part (from the resolved participating stores)."""
    column = {
        LEVEL_REGION: CampaignStore.region_id,
        LEVEL_FRANCHISEE: CampaignStore.franchisee_id,
        LEVEL_STORE: CampaignStore.store_id,
    }.get(level)
    if column is None:
        return set()
    return set(
        db.session.scalars(
            select(column).where(CampaignStore.campaign_id == campaign_id).distinct()
        )
    )


def progress(campaign_id: int, level: str) -> list[dict]:
    """Rows ``{level, ref_id, name, target, actual, pct}`` sorted by GMV, largest first.

    ``target`` is ``{metric: int}`` (zeros at guide level, which has no targets);
    ``actual`` is ``Figures.as_dict()``; ``pct`` is ``{metric: float | None}``. Units
    without a unit id (an order no guide brought) are left out.
    """
    targets: dict[int | None, CampaignTarget] = {
        t.ref_id: t
        for t in db.session.scalars(
            select(CampaignTarget).where(
                CampaignTarget.campaign_id == campaign_id, CampaignTarget.level == level
            )
        )
    }
    actual = figures.actuals(campaign_id, level)
    ids = (set(targets) | set(actual) | _participants(campaign_id, level)) - {None}
    names = _names(level, ids)
    rows = []
    for ref_id in ids:
        target = targets.get(ref_id)
        goal = {m: (getattr(target, m) if target else 0) for m in METRICS}
        got = actual.get(ref_id, figures.Figures()).as_dict()
        rows.append(
            {
                "level": level,
                "ref_id": ref_id,
                "name": names.get(ref_id, str(ref_id)),
                "target": goal,
                "actual": got,
                "pct": {m: pct(got[m], goal[m]) for m in METRICS},
            }
        )
    rows.sort(key=lambda r: (-r["actual"]["gmv_fen"], r["name"]))
    return rows


def campaign_progress(campaign_id: int) -> dict:
    """The whole campaign: ``{target, actual, pct}`` with targets summed over regions."""
    goal = dict.fromkeys(METRICS, 0)
    for t in db.session.scalars(
        select(CampaignTarget).where(
            CampaignTarget.campaign_id == campaign_id, CampaignTarget.level == LEVEL_REGION
        )
    ):
        for m in METRICS:
            goal[m] += getattr(t, m)
    got = figures.totals(campaign_id).as_dict()
    return {"target": goal, "actual": got, "pct": {m: pct(got[m], goal[m]) for m in METRICS}}
