"""The 联系我 evidence for an order's credit: the customer became a guide's WeCom
contact through a guide's or a store's contact way of the order's franchise.

Franchise asks through its ``CREDIT_CONTACT_CLAIM`` hook (it may not import community);
``contact_claim`` answers with the latest such add before the payment whose relationship
still stood at the payment (neither side had deleted the other), naming the guide who
took the contact (for a store's way, the guide WeCom gave it to) and the evidence: the
way's ``state``, WeCom's ``add_way`` and the add time. A campaign's way is left to the
live campaign's own claim (its visit), a contact Siyu cannot link to the customer or to
a guide of the order's franchise claims nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from app.extensions import db
from community.models.contacts import WAY_GUIDE, WAY_STORE, ContactFollow, ContactWay, WecomContact


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def contact_claim(order, paid_at: datetime) -> dict | None:
    """``{"guide_id", "evidence": [..]}`` for ``order`` as things stood at ``paid_at``."""
    row = db.session.execute(
        select(ContactFollow, ContactWay)
        .join(WecomContact, WecomContact.id == ContactFollow.contact_id)
        .join(ContactWay, ContactWay.state == ContactFollow.state)
        .where(
            WecomContact.customer_id == order.customer_id,
            ContactWay.kind.in_((WAY_GUIDE, WAY_STORE)),
            ContactWay.franchisee_id == order.franchisee_id,
            ContactFollow.franchisee_id == order.franchisee_id,
            ContactFollow.guide_id.is_not(None),
            ContactFollow.add_time <= paid_at,
            or_(
                ContactFollow.deleted_by_customer_at.is_(None),
                ContactFollow.deleted_by_customer_at > paid_at,
            ),
            or_(
                ContactFollow.deleted_by_guide_at.is_(None),
                ContactFollow.deleted_by_guide_at > paid_at,
            ),
        )
        .order_by(ContactFollow.add_time.desc(), ContactFollow.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    follow, way = row
    evidence = {
        "kind": "contact_way",
        "ref": follow.id,
        "state": follow.state,
        "way": way.kind,
        "add_way": follow.add_way,
        "store_id": way.store_id,
        "at": _iso(follow.add_time),
    }
    return {"guide_id": follow.guide_id, "evidence": [evidence]}
