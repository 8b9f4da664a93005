"""Segment (人群): ``purchased`` vs ``prospect`` from the share of a group's customers who
have paid orders, and the 因群制宜 split suggestion for mixed groups.

The share is over external members still in the group: those linked to a customer with an
order in ``paid`` … ``completed`` count as purchased, every other external member as a
prospect. Thresholds come from ``COMMUNITY_SEGMENT_RULES`` (defaults below).
"""

from __future__ import annotations

from typing import cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from community.models.groups import PROSPECT, PURCHASED, GroupMember, WecomGroup
from franchise.models import PAID_STATUSES, Order

DEFAULT_SEGMENT_RULES = {
    "purchased_share": 0.5,  # at or above: purchased group
    "split_low": 0.2,  # a share between split_low and split_high suggests a split
    "split_high": 0.8,
    "split_min_customers": 10,  # too small a group is not worth splitting
}


def segment_rules() -> dict:
    """The configured thresholds, defaults filled in."""
    return {**DEFAULT_SEGMENT_RULES, **(current_app.config["COMMUNITY_SEGMENT_RULES"] or {})}


def purchased_members(group_id: int) -> int:
    """External members still in the group who are customers with a paid order."""
    paid = select(Order.customer_id).where(Order.status.in_(PAID_STATUSES))
    return (
        db.session.scalar(
            select(func.count(func.distinct(GroupMember.customer_id))).where(
                GroupMember.group_id == group_id,
                GroupMember.member_type == 2,
                GroupMember.left_at.is_(None),
                GroupMember.customer_id.in_(paid),
            )
        )
        or 0
    )


def purchase_share(group: WecomGroup) -> float:
    """Purchased members over external members (0 for a group without customers)."""
    return group.purchased_count / group.customer_count if group.customer_count else 0.0


def classify(group: WecomGroup, rules: dict | None = None) -> None:
    """Refresh ``purchased_count``, ``segment`` and ``split_suggested`` (no commit)."""
    rules = rules or segment_rules()
    group.purchased_count = purchased_members(group.id)
    share = purchase_share(group)
    group.segment = PURCHASED if share >= rules["purchased_share"] else PROSPECT
    group.split_suggested = bool(
        group.customer_count >= rules["split_min_customers"]
        and rules["split_low"] <= share <= rules["split_high"]
    )


def classify_all() -> int:
    """Classify every active group, committing per 500; returns how many."""
    rules = segment_rules()
    ids = list(db.session.scalars(select(WecomGroup.id).where(WecomGroup.status == "active")))
    for n, group_id in enumerate(ids, 1):
        classify(cast(WecomGroup, db.session.get(WecomGroup, group_id)), rules)
        if n % 500 == 0:
            db.session.commit()
    db.session.commit()
    return len(ids)


def explain(group: WecomGroup) -> dict:
    """The figures behind the segment and a sentence for the group page."""
    rules = segment_rules()
    share = purchase_share(group)
    text = _(
        "%(purchased)s of %(customers)s customers in the group have paid orders (%(share)s%%); "
        "a group at or above %(threshold)s%% counts as purchased.",
        purchased=group.purchased_count,
        customers=group.customer_count,
        share=round(share * 100),
        threshold=round(rules["purchased_share"] * 100),
    )
    split = None
    if group.split_suggested:
        split = _(
            "Mixed group: consider splitting it into a purchased-customer group (care, "
            "maintenance, new products) and a prospect group (brand story, knowledge, coupons)."
        )
    return {"share": share, "rules": rules, "text": text, "split": split}
