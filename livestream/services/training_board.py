"""Training completion per guide, store, franchisee or region (read only).

Counted over the ACTIVE guides of the participating stores (a guide without a progress
row has simply not finished): ``trained`` finished the checklist, ``late`` finished after
the training due day, ``overdue`` has not finished and the due day has passed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, exists, func, select

from app.auth.principal import Principal
from app.auth.scope import scoped
from app.clock import shanghai_day
from app.extensions import db
from franchise.models import Franchisee, Guide, Region, Store
from livestream.models import (
    Campaign,
    CampaignStore,
    ChecklistAnswer,
    ChecklistItem,
    TrainingProgress,
)
from livestream.models.targets import LEVELS
from livestream.services.training import training_due_day


def guide_checklist_columns(guide_id) -> tuple:
    """``(done, required, completed)`` of one guide's checklist, correlated to ``Campaign``.

    ``done`` counts the required items the guide answered correctly, ``required`` the
    campaign's required items, ``completed`` whether the guide's progress is complete.
    ``guide_id`` may be a bound parameter. Selected next to ``Campaign`` columns.
    """
    required = (
        select(func.count(ChecklistItem.id))
        .where(ChecklistItem.campaign_id == Campaign.id, ChecklistItem.required.is_(True))
        .scalar_subquery()
    )
    done = (
        select(func.count(func.distinct(ChecklistAnswer.item_id)))
        .join(TrainingProgress, TrainingProgress.id == ChecklistAnswer.progress_id)
        .join(ChecklistItem, ChecklistItem.id == ChecklistAnswer.item_id)
        .where(
            TrainingProgress.campaign_id == Campaign.id,
            TrainingProgress.guide_id == guide_id,
            ChecklistAnswer.correct.is_(True),
            ChecklistItem.required.is_(True),
        )
        .scalar_subquery()
    )
    completed = exists().where(
        TrainingProgress.campaign_id == Campaign.id,
        TrainingProgress.guide_id == guide_id,
        TrainingProgress.completed_at.is_not(None),
    )
    return done.label("done"), required.label("required"), completed.label("completed")


_NAMES = {"region": Region, "franchisee": Franchisee, "store": Store}


def _guide_rows(campaign_id: int, principal: Principal | None) -> list:
    """One row per active guide of a participating store, with its progress (or None).

    ``principal`` limits the rows to the caller's franchise / store (None = all).
    """
    stmt = (
        select(
            Guide.id.label("guide_id"),
            Guide.name.label("guide_name"),
            CampaignStore.store_id,
            CampaignStore.franchisee_id,
            CampaignStore.region_id,
            TrainingProgress.started_at,
            TrainingProgress.completed_at,
            TrainingProgress.is_late,
        )
        .join(CampaignStore, CampaignStore.store_id == Guide.store_id)
        .outerjoin(
            TrainingProgress,
            and_(
                TrainingProgress.guide_id == Guide.id,
                TrainingProgress.campaign_id == campaign_id,
            ),
        )
        .where(CampaignStore.campaign_id == campaign_id, Guide.status == "active")
        .order_by(CampaignStore.store_id, Guide.id)
    )
    if principal is not None:
        stmt = scoped(stmt, CampaignStore, principal)
    return list(db.session.execute(stmt).all())


def _names(model, ids: set) -> dict:
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def completion(
    campaign_id: int,
    level: str,
    today: date | None = None,
    principal: Principal | None = None,
) -> list[dict]:
    """Rows ``{level, id, name, guides, trained, pct, late, overdue}`` for ``level``.

    Guide rows add ``store_id``, ``store_name``, ``started_at``, ``completed_at`` and
    ``is_late``. Rows come in store order (guides) or by name.
    """
    if level not in LEVELS:
        raise ValueError(level)
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return []
    today = today or shanghai_day()
    past_due = today > training_due_day(campaign)
    rows = _guide_rows(campaign_id, principal)
    if level == "guide":
        store_names = _names(Store, {r.store_id for r in rows})
        return [
            {
                "level": level,
                "id": r.guide_id,
                "name": r.guide_name,
                "store_id": r.store_id,
                "store_name": store_names.get(r.store_id, ""),
                "started_at": r.started_at,
                "completed_at": r.completed_at,
                "is_late": bool(r.is_late) if r.completed_at else False,
                "guides": 1,
                "trained": 1 if r.completed_at else 0,
                "pct": 100.0 if r.completed_at else 0.0,
                "late": 1 if r.completed_at and r.is_late else 0,
                "overdue": 1 if r.completed_at is None and past_due else 0,
            }
            for r in rows
        ]
    key = f"{level}_id"
    units: dict[int, dict] = {}
    for cs_unit in _units(campaign_id, level, principal):
        units[cs_unit] = {"guides": 0, "trained": 0, "late": 0, "overdue": 0}
    for r in rows:
        unit = units.setdefault(
            getattr(r, key), {"guides": 0, "trained": 0, "late": 0, "overdue": 0}
        )
        unit["guides"] += 1
        if r.completed_at:
            unit["trained"] += 1
            unit["late"] += 1 if r.is_late else 0
        elif past_due:
            unit["overdue"] += 1
    names = _names(_NAMES[level], set(units))
    out = []
    for unit_id, c in units.items():
        pct = round(100.0 * c["trained"] / c["guides"], 1) if c["guides"] else 0.0
        out.append({"level": level, "id": unit_id, "name": names.get(unit_id, ""), **c, "pct": pct})
    return sorted(out, key=lambda r: (r["name"], r["id"]))


def _units(campaign_id: int, level: str, principal: Principal | None) -> list[int]:
    """Participating unit ids of ``level`` (so a store with no guides still shows)."""
    column = getattr(CampaignStore, f"{level}_id")
    stmt = select(column).where(CampaignStore.campaign_id == campaign_id).distinct()
    if principal is not None:
        stmt = scoped(stmt, CampaignStore, principal)
    return list(db.session.scalars(stmt))


def trained_by_store(campaign_id: int) -> dict[int, tuple[int, int]]:
    """``{store_id: (trained, active_guides)}`` for every participating store."""
    result = dict.fromkeys(_units(campaign_id, "store", None), (0, 0))
    for r in _guide_rows(campaign_id, None):
        trained, guides = result.get(r.store_id, (0, 0))
        result[r.store_id] = (trained + (1 if r.completed_at else 0), guides + 1)
    return result


def totals(rows: list[dict]) -> dict:
    """Sum of ``guides``, ``trained``, ``late``, ``overdue`` over rows, with ``pct``."""
    out = {k: sum(r[k] for r in rows) for k in ("guides", "trained", "late", "overdue")}
    out["pct"] = round(100.0 * out["trained"] / out["guides"], 1) if out["guides"] else 0.0
    return out
