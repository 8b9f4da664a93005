"""A guide's own campaign results: their figures, their rank, their store's achievement.

Only the guide's own numbers leave this module: ranks are positions and counts, never
another guide's name or figures. Read only.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import and_, or_, select

from app.auth.principal import Principal
from app.extensions import db
from franchise.models import Guide
from franchise.models.org import ACTIVE
from livestream.models import Campaign, CampaignStore
from livestream.models.targets import LEVEL_GUIDE, LEVEL_STORE
from livestream.services import figures, progress
from livestream.services.access import visible_campaigns

MAX_CAMPAIGNS = 20


def _rank(gmv: dict[int, int], guide_id: int, pool: set[int]) -> dict:
    """``{rank, of}``: 1 + how many guides of ``pool`` have more GMV (ties share a rank)."""
    mine = gmv.get(guide_id, 0)
    pool = pool | {guide_id}
    return {"rank": 1 + sum(1 for g in pool if gmv.get(g, 0) > mine), "of": len(pool)}


def campaign_results(campaign: Campaign, guide_id: int) -> dict:
    """The guide's results in ``campaign``.

    ``{campaign, figures, rank_store, rank_campaign, store}``: ``figures`` is the guide's
    ``Figures.as_dict()``; ranks by GMV among the active guides of the participating
    stores (and any guide with figures); ``store`` the guide's store progress row
    (``target``, ``actual``, ``pct``) or ``None`` when the store does not take part.
    """
    guide = db.session.get(Guide, guide_id)
    by_guide = figures.actuals(campaign.id, LEVEL_GUIDE)
    gmv = {g: f.gmv_fen for g, f in by_guide.items() if g is not None}
    stores = select(CampaignStore.store_id).where(CampaignStore.campaign_id == campaign.id)
    pool = dict(
        db.session.execute(
            select(Guide.id, Guide.store_id).where(
                or_(
                    and_(Guide.store_id.in_(stores), Guide.status == ACTIVE),
                    Guide.id.in_(list(gmv)),
                )
            )
        ).all()
    )
    store_id = guide.store_id if guide else None
    store_row = next(
        (r for r in progress.progress(campaign.id, LEVEL_STORE) if r["ref_id"] == store_id),
        None,
    )
    return {
        "campaign": campaign,
        "figures": by_guide.get(guide_id, figures.Figures()).as_dict(),
        "rank_store": _rank(gmv, guide_id, {g for g, s in pool.items() if s == store_id}),
        "rank_campaign": _rank(gmv, guide_id, set(pool)),
        "store": (
            {
                "name": store_row["name"],
                "target": store_row["target"],
                "actual": store_row["actual"],
                "pct": store_row["pct"],
            }
            if store_row
            else None
        ),
    }


def my_campaigns(principal: Principal) -> list[Campaign]:
    """The campaigns the guide's store takes part in, latest live first."""
    if principal is None or principal.guide_id is None:
        return []
    stmt = visible_campaigns(select(Campaign), principal)
    stmt = stmt.order_by(Campaign.live_at.desc(), Campaign.id.desc()).limit(MAX_CAMPAIGNS)
    return list(db.session.scalars(stmt).all())


def my_results(principal: Principal) -> list[dict]:
    """``campaign_results`` for each of ``my_campaigns`` (the principal's own guide id)."""
    guide_id = cast(int, principal.guide_id)  # my_campaigns is empty without one
    return [campaign_results(c, guide_id) for c in my_campaigns(principal)]
