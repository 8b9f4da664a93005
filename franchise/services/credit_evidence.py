"""The evidence behind a paid order's credit: who claims it, on what record, since when.

Each source of credit looks at the records as they stood when the order was paid:

- ``share_code``: the guide share code the order was placed with (of the order's
  franchise), and the customer's arrival through it (the assignment history row); or,
  when the order carries no code, the 联系我 code the customer became a guide's WeCom
  contact through (a guide's or a store's way: the follow's ``state`` and ``add_way``,
  at its add time), asked of the ``CREDIT_CONTACT_CLAIM`` hook (community registers it:
  franchise may not import community). A 联系我 add by the share code's own guide is
  shown beside the code;
- ``assigned``: the guide the customer was bound to at the payment (the last
  assignment history row before it, else the customer's binding);
- ``in_store``: the guide who last served the customer in a store within
  ``credit.in_store_days`` before the payment: an in-store coupon redemption or an
  appointment with that guide;
- ``live_campaign``: asked of the ``CREDIT_LIVE_CLAIM`` hook (livestream registers it:
  franchise may not import livestream): the campaign visit's guide, for the lines whose
  product is on the campaign's line-up.

A piece of evidence is a JSON object: ``kind`` (``share_code``, ``contact_way``,
``assignment``, ``redemption``, ``appointment``, ``visit``, ``ruling``), ``ref`` (its
row id), ``at`` (ISO UTC time) and what identifies it (``code``, ``state``, ``rule``,
``campaign_id``, ``store_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db, hooks
from franchise.models import (
    Appointment,
    AssignmentHistory,
    Coupon,
    Customer,
    Order,
    ShareCode,
)
from franchise.models.credit import SOURCE_ASSIGNED, SOURCE_IN_STORE, SOURCE_LIVE, SOURCE_SHARE_CODE
from franchise.services import settings

# listener(order) -> dict | None: {"guide_id", "product_ids": set | None, "evidence": [..]}
CREDIT_LIVE_CLAIM = "franchise.credit_live_claim"
# listener(order, paid_at) -> dict | None: {"guide_id", "evidence": [..]}, the latest
# 联系我 add (of the order's franchise, before the payment) that made the customer a
# guide's contact
CREDIT_CONTACT_CLAIM = "franchise.credit_contact_claim"


@dataclass
class Claim:
    """A source's guide for an order, the products it covers (None: every line), why."""

    guide_id: int
    evidence: list[dict]
    product_ids: set[int] | None = None
    sources: list[str] = field(default_factory=list)

    def covers(self, product_id: int) -> bool:
        return self.product_ids is None or product_id in self.product_ids


def iso(moment: datetime | None) -> str | None:
    """A stored time as ISO text in UTC (evidence is JSON)."""
    return moment.isoformat() if moment is not None else None


def _contact(order: Order, paid_at: datetime) -> Claim | None:
    for listener in hooks(CREDIT_CONTACT_CLAIM):
        answer = listener(order, paid_at)
        if answer and answer.get("guide_id"):
            return Claim(int(answer["guide_id"]), list(answer["evidence"]))
    return None


def _referral(order: Order, paid_at: datetime) -> Claim | None:
    """The share code's claim (with the same guide's 联系我 add beside it), else the
    联系我 add's own."""
    contact = _contact(order, paid_at)
    code = _share_code(order, paid_at)
    if code is None:
        return contact
    if contact is not None and contact.guide_id == code.guide_id:
        code.evidence.extend(contact.evidence)
    return code


def _share_code(order: Order, paid_at: datetime) -> Claim | None:
    if not order.share_code:
        return None
    code = db.session.scalars(select(ShareCode).where(ShareCode.code == order.share_code)).first()
    if code is None or code.guide_id is None or code.franchisee_id != order.franchisee_id:
        return None
    evidence = [
        {
            "kind": "share_code",
            "ref": code.id,
            "code": code.code,
            "campaign_id": code.campaign_id,
            "at": iso(order.created_at),
        }
    ]
    arrival = db.session.scalars(
        select(AssignmentHistory)
        .where(
            AssignmentHistory.customer_id == order.customer_id,
            AssignmentHistory.rule == "share_code",
            AssignmentHistory.to_guide_id == code.guide_id,
            AssignmentHistory.created_at <= paid_at,
        )
        .order_by(AssignmentHistory.created_at.desc())
        .limit(1)
    ).first()
    if arrival is not None:
        evidence.append(_assignment_evidence(arrival))
    return Claim(code.guide_id, evidence)


def _assignment_evidence(row: AssignmentHistory) -> dict:
    return {"kind": "assignment", "ref": row.id, "rule": row.rule, "at": iso(row.created_at)}


def _assigned(order: Order, paid_at: datetime) -> Claim | None:
    row = db.session.scalars(
        select(AssignmentHistory)
        .where(
            AssignmentHistory.customer_id == order.customer_id,
            AssignmentHistory.created_at <= paid_at,
        )
        .order_by(AssignmentHistory.created_at.desc(), AssignmentHistory.id.desc())
        .limit(1)
    ).first()
    if row is not None:
        if row.to_guide_id is None or row.to_franchisee_id != order.franchisee_id:
            return None
        return Claim(row.to_guide_id, [_assignment_evidence(row)])
    customer = db.session.get(Customer, order.customer_id)
    if customer is None or customer.guide_id is None:
        return None
    if customer.franchisee_id != order.franchisee_id:
        return None
    evidence = {"kind": "assignment", "ref": None, "rule": customer.assignment_rule}
    return Claim(customer.guide_id, [evidence | {"at": iso(customer.bound_at)}])


def _in_store(order: Order, paid_at: datetime) -> Claim | None:
    since = paid_at - timedelta(days=int(settings.get_setting("credit.in_store_days")))
    coupon = db.session.scalars(
        select(Coupon)
        .where(
            Coupon.customer_id == order.customer_id,
            Coupon.redeemed_channel == "store",
            Coupon.redeemed_guide_id.is_not(None),
            Coupon.redeemed_franchisee_id == order.franchisee_id,
            Coupon.redeemed_at >= since,
            Coupon.redeemed_at <= paid_at,
        )
        .order_by(Coupon.redeemed_at.desc())
        .limit(1)
    ).first()
    visit = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.customer_id == order.customer_id,
            Appointment.franchisee_id == order.franchisee_id,
            Appointment.guide_id.is_not(None),
            Appointment.status != "cancelled",
            Appointment.slot_start >= since,
            Appointment.slot_start <= paid_at,
        )
        .order_by(Appointment.slot_start.desc())
        .limit(1)
    ).first()
    found: list[tuple[datetime, int, dict]] = []
    if coupon is not None and coupon.redeemed_at is not None:
        found.append(
            (
                coupon.redeemed_at,
                int(coupon.redeemed_guide_id or 0),
                {
                    "kind": "redemption",
                    "ref": coupon.id,
                    "code": coupon.code,
                    "store_id": coupon.redeemed_store_id,
                    "at": iso(coupon.redeemed_at),
                },
            )
        )
    if visit is not None:
        found.append(
            (
                visit.slot_start,
                int(visit.guide_id or 0),
                {
                    "kind": "appointment",
                    "ref": visit.id,
                    "appointment_kind": visit.kind,
                    "store_id": visit.store_id,
                    "at": iso(visit.slot_start),
                },
            )
        )
    if not found:
        return None
    found.sort(key=lambda item: item[0], reverse=True)
    guide_id = found[0][1]
    return Claim(guide_id, [e for _at, g, e in found if g == guide_id])


def _live(order: Order) -> Claim | None:
    if order.campaign_id is None:
        return None
    for listener in hooks(CREDIT_LIVE_CLAIM):
        answer = listener(order)
        if answer and answer.get("guide_id"):
            return Claim(int(answer["guide_id"]), list(answer["evidence"]), answer["product_ids"])
    return None


def gather(order: Order, paid_at: datetime) -> dict[str, Claim]:
    """Every source's claim on ``order`` as things stood at ``paid_at``."""
    claims = {
        SOURCE_LIVE: _live(order),
        SOURCE_SHARE_CODE: _referral(order, paid_at),
        SOURCE_IN_STORE: _in_store(order, paid_at),
        SOURCE_ASSIGNED: _assigned(order, paid_at),
    }
    return {source: claim for source, claim in claims.items() if claim is not None}
