"""Weights for the target cascade: the largest-remainder split, the participants' tree
and default weights (each child's share of the last 90 days' GMV, in basis points).

Used by ``livestream.services.targets``; ``apportion`` and ``default_weights`` are public.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import cast

from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from app.money import apportion  # noqa: F401 - moved to app.money; livestream imports it here
from franchise.models import Order
from franchise.services.base import invalid
from livestream.models import CampaignStore, CampaignTarget
from livestream.models.targets import LEVEL_FRANCHISEE, LEVEL_REGION, LEVEL_STORE

FULL_BPS = 10000
GMV_DAYS = 90
CHILD_LEVEL = {LEVEL_REGION: LEVEL_FRANCHISEE, LEVEL_FRANCHISEE: LEVEL_STORE}


# --- participants and default weights ---------------------------------------------


def participant_tree(campaign_id: int) -> dict[int, dict[int, list[int]]]:
    """``{region_id: {franchisee_id: [store_id, ...]}}`` of the participating stores.

    A franchisee sits under one region (the smallest region id among its stores' rows).
    """
    rows = db.session.execute(
        select(CampaignStore.region_id, CampaignStore.franchisee_id, CampaignStore.store_id)
        .where(CampaignStore.campaign_id == campaign_id)
        .order_by(CampaignStore.region_id, CampaignStore.store_id)
    ).all()
    home: dict[int, int] = {}
    for region_id, franchisee_id, _store in rows:
        home.setdefault(franchisee_id, region_id)
    tree: dict[int, dict[int, list[int]]] = defaultdict(dict)
    for _region, franchisee_id, store_id in rows:
        tree[home[franchisee_id]].setdefault(franchisee_id, []).append(store_id)
    return dict(tree)


def children_of(campaign_id: int, parent_level: str, parent_id: int) -> list[int]:
    tree = participant_tree(campaign_id)
    if parent_level == LEVEL_REGION:
        return sorted(tree.get(parent_id, {}))
    if parent_level == LEVEL_FRANCHISEE:
        for franchisees in tree.values():
            if parent_id in franchisees:
                return sorted(franchisees[parent_id])
        return []
    raise invalid("level", "Only regions and franchisees have children.")


def _recent_gmv(level: str, ids: list[int]) -> dict[int, int]:
    """Paid minus refunded fen of orders paid in the last 90 days, per franchisee/store."""
    if not ids:
        return {}
    column = Order.franchisee_id if level == LEVEL_FRANCHISEE else Order.store_id
    since = utcnow() - timedelta(days=GMV_DAYS)
    stmt = (
        select(column, func.coalesce(func.sum(Order.paid_fen - Order.refunded_fen), 0))
        .where(column.in_(ids), Order.paid_at.is_not(None), Order.paid_at >= since)
        .group_by(column)
    )
    rows = db.session.execute(stmt)  # grouped by the ids asked for: never NULL
    return {cast(int, unit): max(0, int(gmv or 0)) for unit, gmv in rows}


def default_weights(campaign_id: int, parent_level: str, parent_id: int) -> dict[int, int]:
    """``{child_id: weight_bps}`` by each child's share of the last 90 days' GMV.

    Children of a region are its participating franchisees, of a franchisee its
    participating stores. The weights sum to exactly 10000 (largest remainder); an equal
    split when no child sold anything. ``{}`` when there are no children.
    """
    return gmv_weights(CHILD_LEVEL[parent_level], children_of(campaign_id, parent_level, parent_id))


def gmv_weights(level: str, children: list[int]) -> dict[int, int]:
    gmv = _recent_gmv(level, children)
    return apportion(FULL_BPS, {c: gmv.get(c, 0) for c in children})


def effective_weights(rows: list[CampaignTarget], defaults: dict[int, int]) -> dict[int, int]:
    """Sibling weights: manual ones kept, the rest of 10000 split by default weights.

    When every sibling is manual (or manual weights exceed 10000) they are rescaled to
    10000 proportionally so the shown weights add up.
    """
    manual = {r.ref_id: r.weight_bps for r in rows if r.weight_manual}
    free = [r.ref_id for r in rows if not r.weight_manual]
    fixed = sum(manual.values())
    if manual and (not free or fixed > FULL_BPS):
        return {**apportion(FULL_BPS, manual), **dict.fromkeys(free, 0)}
    rest = apportion(FULL_BPS - fixed, {ref: defaults.get(ref, 0) for ref in free})
    return {**manual, **rest}
