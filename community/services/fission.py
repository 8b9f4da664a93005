"""Fission (裂变): invite codes, joins per inviter and rewards issued once.

* ``create_code`` makes a code with a fresh ``state`` for a guide (their join way), a
  store, a campaign or a customer who shares it; after the commit the outbox configures
  its WeCom join way (``community.services.join_ways``), whose ``qr_code`` becomes the
  code's link (empty until WeCom answers; WeCom's refusal is kept on the code).
* ``record_joins`` (called by the sync and the callbacks for members new to a group)
  records an ``InviteJoin`` for a member who came with a known ``state``, or was invited
  directly (``invitor_userid``); unique ``(state, member_userid)`` counts a person once.
* ``issue_due_rewards``: for each active ``FissionRule``, every inviter customer with at
  least ``invites_required`` successful invites (the invited member is still in the
  group) gets the rule's coupon through ``franchise.services.coupons.issue_coupon``.
  The ``FissionReward`` row (unique ``(rule_id, inviter_customer_id)``) is committed
  before the coupon is issued, so a reward is claimed at most once.
"""

from __future__ import annotations

import logging
import secrets
from typing import cast

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError
from app.extensions import db
from community.models.groups import GroupMember, WecomGroup
from community.models.growth import (
    REWARD_FAILED,
    REWARD_ISSUED,
    REWARD_PENDING,
    FissionReward,
    FissionRule,
    InviteCode,
    InviteJoin,
)
from franchise.models import Customer, Guide, Store

log = logging.getLogger("siyu.community")


def create_code(
    *,
    guide_id: int | None = None,
    campaign_id: int | None = None,
    customer_id: int | None = None,
    store_id: int | None = None,
    label: str = "",
) -> InviteCode:
    """A new invite code with a unique state (commits) and its join way queued; a guide,
    a store or a campaign is required."""
    from community.services.join_ways import enqueue_join_way

    guide = db.session.get(Guide, guide_id) if guide_id else None
    if guide_id and guide is None:
        raise DomainError("No such guide.", status=422, errors={"guide_id": ["No such guide."]})
    store = db.session.get(Store, store_id) if store_id else None
    if store_id and store is None:
        raise DomainError("No such store.", status=422, errors={"store_id": ["No such store."]})
    if guide is None and store is None and not campaign_id:
        raise DomainError(
            "Choose a guide, a store or a campaign.",
            status=422,
            errors={"guide_id": ["Required."]},
        )
    if customer_id and db.session.get(Customer, customer_id) is None:
        raise DomainError("No such customer.", status=422, errors={"customer_id": ["Unknown."]})
    state = "fx" + secrets.token_hex(8)
    code = InviteCode(
        state=state,
        label=(label or "").strip()[:64],
        guide_id=guide.id if guide else None,
        store_id=(guide.store_id if guide else None) or (store.id if store else None),
        franchisee_id=guide.franchisee_id if guide else (store.franchisee_id if store else None),
        campaign_id=campaign_id,
        customer_id=customer_id,
        qr_url="",
        status="active",
    )
    db.session.add(code)
    db.session.flush()
    enqueue_join_way(code)
    db.session.commit()
    return code


def _inviter_customer(userid: str) -> int | None:
    """The customer behind an external userid seen in any group, if linked."""
    return db.session.scalar(
        select(GroupMember.customer_id)
        .where(GroupMember.userid == userid, GroupMember.customer_id.is_not(None))
        .limit(1)
    )


def record_joins(group: WecomGroup, members: list[GroupMember]) -> int:
    """Record invite joins for members new to ``group`` (no commit); returns how many."""
    recorded = 0
    for member in members:
        if member.member_type != 2:
            continue
        code = None
        if member.state:
            code = db.session.scalars(
                select(InviteCode).where(InviteCode.state == member.state)
            ).first()
        if code is not None:
            key = code.state
            inviter_userid, inviter_customer = None, code.customer_id
            guide_id = code.guide_id or group.guide_id
        elif member.invitor_userid:
            key = f"invitor:{member.invitor_userid}"[:64]
            inviter_userid = member.invitor_userid
            inviter_customer = _inviter_customer(inviter_userid)
            guide_id = db.session.scalar(
                select(Guide.id).where(Guide.wecom_userid == inviter_userid).limit(1)
            )
        else:
            continue
        exists = db.session.scalar(
            select(InviteJoin.id).where(
                InviteJoin.state == key, InviteJoin.member_userid == member.userid
            )
        )
        if exists:
            continue
        db.session.add(
            InviteJoin(
                state=key,
                code_id=code.id if code else None,
                member_userid=member.userid,
                group_id=group.id,
                inviter_userid=inviter_userid,
                inviter_customer_id=inviter_customer,
                guide_id=guide_id,
            )
        )
        db.session.flush()
        recorded += 1
    return recorded


def _still_in_group():
    return and_(
        GroupMember.group_id == InviteJoin.group_id,
        GroupMember.userid == InviteJoin.member_userid,
        GroupMember.left_at.is_(None),
    )


def successful_invites_stmt():
    """``(inviter_customer_id, invites)`` for invites whose member is still in the group."""
    return (
        select(InviteJoin.inviter_customer_id, func.count(InviteJoin.id).label("invites"))
        .join(GroupMember, _still_in_group())
        .where(InviteJoin.inviter_customer_id.is_not(None))
        .group_by(InviteJoin.inviter_customer_id)
    )


def leaderboard(limit: int = 50) -> list[dict]:
    """Joins per inviter (customer, guide or userid): total and still in the group."""
    still = func.count(GroupMember.id)
    rows = db.session.execute(
        select(
            InviteJoin.inviter_customer_id,
            InviteJoin.guide_id,
            InviteJoin.inviter_userid,
            InviteJoin.code_id,
            func.count(InviteJoin.id).label("joins"),
            still.label("still_in"),
        )
        .outerjoin(GroupMember, _still_in_group())
        .group_by(
            InviteJoin.inviter_customer_id,
            InviteJoin.guide_id,
            InviteJoin.inviter_userid,
            InviteJoin.code_id,
        )
        .order_by(still.desc(), func.count(InviteJoin.id).desc())
        .limit(limit)
    ).all()
    return [row._asdict() for row in rows]


def _issue_coupon():
    try:
        from franchise.services.coupons import issue_coupon
    except ImportError as exc:  # the coupons service is another area's work
        raise DomainError(
            "Coupons are not available: franchise.services.coupons.issue_coupon is missing.",
            status=503,
        ) from exc
    return issue_coupon


def issue_due_rewards() -> dict:
    """Issue every due reward once (commits); returns counts of issued and failed."""
    issue_coupon = _issue_coupon()
    issued = failed = 0
    rules = db.session.scalars(select(FissionRule).where(FissionRule.active.is_(True))).all()
    counts = db.session.execute(successful_invites_stmt()).all()
    for rule in rules:
        rule_id, template_id, needed = rule.id, rule.coupon_template_id, rule.invites_required
        for customer_id, invites in counts:
            if invites < needed:
                continue
            if db.session.scalar(
                select(FissionReward.id).where(
                    FissionReward.rule_id == rule_id,
                    FissionReward.inviter_customer_id == customer_id,
                )
            ):
                continue
            reward = FissionReward(
                rule_id=rule_id,
                inviter_customer_id=customer_id,
                invites=invites,
                status=REWARD_PENDING,
            )
            db.session.add(reward)
            try:
                db.session.commit()  # the claim: a second run cannot claim it again
            except IntegrityError:
                db.session.rollback()
                continue
            reward_id = reward.id
            try:
                coupon = issue_coupon(template_id, customer_id)
                reward = cast(FissionReward, db.session.get(FissionReward, reward_id))  # claimed
                reward.status, reward.coupon_id = REWARD_ISSUED, coupon.id
                issued += 1
            except DomainError as exc:
                db.session.rollback()
                reward = cast(FissionReward, db.session.get(FissionReward, reward_id))  # claimed
                reward.status, reward.error = REWARD_FAILED, exc.message[:2000]
                failed += 1
                log.warning("fission reward %s not issued: %s", reward_id, exc.message)
            db.session.commit()
    return {"issued": issued, "failed": failed}


def create_rule(name: str, invites_required: int, coupon_template_id: int) -> FissionRule:
    """A new active reward rule (commits)."""
    from franchise.models import CouponTemplate

    if db.session.get(CouponTemplate, coupon_template_id) is None:
        raise DomainError(
            "No such coupon template.", status=422, errors={"coupon_template_id": ["Unknown."]}
        )
    if not 1 <= invites_required <= 1000:
        raise DomainError(
            "1 to 1000 invites.", status=422, errors={"invites_required": ["1..1000"]}
        )
    rule = FissionRule(
        name=name.strip()[:64] or f"{invites_required} invites",
        invites_required=invites_required,
        coupon_template_id=coupon_template_id,
        active=True,
    )
    db.session.add(rule)
    db.session.commit()
    return rule


def set_rule_active(rule: FissionRule, active: bool) -> None:
    """Switch a rule on or off (commits); rewards already issued stay."""
    rule.active = active
    db.session.commit()


def delete_rule(rule: FissionRule) -> None:
    """Delete a rule that has issued nothing (commits); 409 otherwise."""
    if db.session.scalar(select(FissionReward.id).where(FissionReward.rule_id == rule.id)):
        from app.errors import Conflict

        raise Conflict("This rule has rewards; switch it off instead.")
    db.session.delete(rule)
    db.session.commit()
