"""Livestream's part in franchise's credit and commission (franchise may not import us).

* ``live_claim`` is franchise's ``CREDIT_LIVE_CLAIM`` hook: for an order carrying a
  campaign, the guide of the customer's campaign visit (else of the campaign share code
  the order was placed with), for the products on the campaign's line-up, with the visit
  as evidence.
* ``post_live_rewards`` turns an ended campaign's reward / penalty outcomes of stores
  (``review.rule_outcomes``: computed, until now never paid) into commission lines: a
  store's amount is split among its active guides by largest remainder (so the guides'
  lines sum to it exactly), a penalty as a negative line; once each (dedupe key per
  campaign, rule and guide). Region and franchisee outcomes are the franchise's, not a
  guide's, and post nothing. The daily job runs it for ended and reviewed campaigns.
"""

from __future__ import annotations

from sqlalchemy import select

from app.db import committing
from app.extensions import db
from app.money import apportion
from franchise.models import ACTIVE, LIVE_PENALTY, LIVE_REWARD, Guide, Order
from franchise.services import commission
from livestream.models import Campaign, LineupItem
from livestream.models.campaigns import ENDED, REVIEWED
from livestream.models.targets import LEVEL_STORE
from livestream.services.attribution import campaign_code, visit_of
from livestream.services.review import RULE_REWARD, rule_outcomes


def live_claim(order: Order) -> dict | None:
    """The campaign guide's claim on ``order`` (see the module docstring)."""
    campaign = db.session.get(Campaign, order.campaign_id) if order.campaign_id else None
    if campaign is None:
        return None
    products = set(
        db.session.scalars(
            select(LineupItem.product_id).where(LineupItem.campaign_id == campaign.id)
        )
    )
    visit = visit_of(campaign.id, order.customer_id)
    if (
        visit is not None
        and visit.guide_id is not None
        and visit.visited_at <= (order.paid_at or visit.visited_at)
    ):
        evidence = {
            "kind": "visit",
            "ref": visit.id,
            "campaign_id": campaign.id,
            "campaign_name": campaign.name,
            "code": visit.share_code,
            "at": visit.visited_at.isoformat(),
        }
        return {"guide_id": visit.guide_id, "product_ids": products, "evidence": [evidence]}
    code = campaign_code(campaign.id, order.share_code)
    if code is not None and code.guide_id is not None:
        evidence = {
            "kind": "share_code",
            "ref": code.id,
            "code": code.code,
            "campaign_id": campaign.id,
            "at": order.created_at.isoformat(),
        }
        return {"guide_id": code.guide_id, "product_ids": products, "evidence": [evidence]}
    return None


def post_live_rewards(campaign_id: int) -> int:
    """Post the campaign's store outcomes as guides' commission lines (commits); how many
    lines were written or already there."""
    posted = 0
    with committing(db.session):
        for outcome in rule_outcomes(campaign_id):
            if not outcome["applies"] or outcome["level"] != LEVEL_STORE:
                continue
            guides = db.session.scalars(
                select(Guide.id).where(Guide.store_id == outcome["ref_id"], Guide.status == ACTIVE)
            ).all()
            parts = apportion(int(outcome["amount_fen"]), dict.fromkeys(guides, 1))
            reward = outcome["kind"] == RULE_REWARD
            for guide_id, amount in parts.items():
                commission.post_adjustment(
                    guide_id,
                    LIVE_REWARD if reward else LIVE_PENALTY,
                    amount if reward else -amount,
                    f"live:{campaign_id}:{outcome['rule_id']}:{guide_id}",
                    campaign_id,
                    outcome.get("note") or "",
                )
                posted += 1
    return posted


def post_ended_campaigns() -> int:
    """``post_live_rewards`` for every ended or reviewed campaign (the daily job)."""
    ids = db.session.scalars(
        select(Campaign.id).where(Campaign.status.in_((ENDED, REVIEWED)))
    ).all()
    return sum(post_live_rewards(campaign_id) for campaign_id in ids)
