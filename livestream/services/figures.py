"""What actually happened in a campaign, per region, franchisee, store or guide.

One source of actuals for the targets progress, the live dashboard and the review:

* ``gmv_fen``: paid minus refunded of the paid orders carrying the campaign;
* ``orders``: paid orders not wholly refunded; ``buyers``: their distinct customers;
* ``visitors``: customers who arrived at the campaign (``CampaignVisit``);
* ``new_customers``: visitors the campaign brought in as new customers;
* ``group_joins``: WeCom group joins through the campaign's invite codes;
* ``appointments``: appointments booked by the campaign's visitors after their visit.

``conversion_pct`` is buyers / visitors and ``aov_fen`` GMV / orders (integer fen).
Orders are counted where the order puts them: its franchisee (and that franchisee's
region), store and guide; visits, joins and appointments where their guide/store is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import and_, case, func, select

from app.extensions import db
from community.models import InviteCode, InviteJoin
from franchise.models import Appointment, Franchisee, Guide, Order, Store
from livestream.models import CampaignVisit
from livestream.models.targets import (
    LEVEL_FRANCHISEE,
    LEVEL_GUIDE,
    LEVEL_REGION,
    LEVEL_STORE,
    LEVELS,
)

TOTAL = "total"


@dataclass
class Figures:
    """One unit's actuals (see the module docstring)."""

    gmv_fen: int = 0
    orders: int = 0
    buyers: int = 0
    visitors: int = 0
    new_customers: int = 0
    group_joins: int = 0
    appointments: int = 0

    @property
    def conversion_pct(self) -> float:
        return round(100.0 * self.buyers / self.visitors, 1) if self.visitors else 0.0

    @property
    def aov_fen(self) -> int:
        return self.gmv_fen // self.orders if self.orders else 0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["conversion_pct"] = self.conversion_pct
        data["aov_fen"] = self.aov_fen
        return data

    def add(self, other: Figures) -> None:
        for key in asdict(self):
            setattr(self, key, getattr(self, key) + getattr(other, key))


# the column that names a row's unit at each level: (orders, visits, guides); joins are
# attributed to the guide who owns the invite
UNIT_KEYS = {
    LEVEL_REGION: (Franchisee.region_id, CampaignVisit.region_id, Store.region_id),
    LEVEL_FRANCHISEE: (Order.franchisee_id, CampaignVisit.franchisee_id, Guide.franchisee_id),
    LEVEL_STORE: (Order.store_id, CampaignVisit.store_id, Guide.store_id),
    LEVEL_GUIDE: (Order.guide_id, CampaignVisit.guide_id, Guide.id),
}


def _order_key(level: str):
    return UNIT_KEYS[level][0]


def _visit_key(level: str):
    return UNIT_KEYS[level][1]


def _guide_key(level: str):
    """A guide's unit (joins are attributed to the guide who owns the invite)."""
    return UNIT_KEYS[level][2]


def _orders(campaign_id: int, level: str) -> dict:
    paid = Order.paid_at.is_not(None)
    kept = and_(paid, Order.refunded_fen < Order.paid_fen)
    key = None if level == TOTAL else _order_key(level)
    columns = [
        func.coalesce(func.sum(case((paid, Order.paid_fen - Order.refunded_fen), else_=0)), 0),
        func.count(case((kept, Order.id))),
        func.count(func.distinct(case((kept, Order.customer_id)))),
    ]
    stmt = select(*([key] if key is not None else []), *columns).where(
        Order.campaign_id == campaign_id
    )
    if level == LEVEL_REGION:
        stmt = stmt.join(Franchisee, Franchisee.id == Order.franchisee_id)
    if key is not None:
        stmt = stmt.group_by(key)
    out = {}
    for row in db.session.execute(stmt):
        values = tuple(row)
        unit = values[0] if key is not None else TOTAL
        gmv, orders, buyers = values[-3:]
        out[unit] = (int(gmv or 0), int(orders or 0), int(buyers or 0))
    return out


def _visits(campaign_id: int, level: str) -> dict:
    key = _visit_key(level) if level != TOTAL else None
    columns = [
        func.count(CampaignVisit.id),
        func.count(case((CampaignVisit.is_new_customer.is_(True), CampaignVisit.id))),
    ]
    stmt = select(*([key] if key is not None else []), *columns).where(
        CampaignVisit.campaign_id == campaign_id
    )
    if key is not None:
        stmt = stmt.group_by(key)
    return {
        (tuple(row)[0] if key is not None else TOTAL): (int(row[-2]), int(row[-1]))
        for row in db.session.execute(stmt)
    }


def _joins(campaign_id: int, level: str) -> dict:
    guide_id = func.coalesce(InviteJoin.guide_id, InviteCode.guide_id)
    stmt = (
        select(InviteJoin.id, guide_id.label("guide_id"))
        .join(InviteCode, InviteCode.id == InviteJoin.code_id)
        .where(InviteCode.campaign_id == campaign_id)
    ).subquery()
    if level == TOTAL:
        count = db.session.scalar(select(func.count()).select_from(stmt)) or 0
        return {TOTAL: int(count)} if count else {}
    key = _guide_key(level)
    query = (
        select(key, func.count(stmt.c.id))
        .select_from(stmt)
        .join(Guide, Guide.id == stmt.c.guide_id)
        .join(Store, Store.id == Guide.store_id)
        .group_by(key)
    )
    return {unit: int(count) for unit, count in db.session.execute(query)}


def _appointments(campaign_id: int, level: str) -> dict:
    keys = {
        LEVEL_REGION: CampaignVisit.region_id,
        LEVEL_FRANCHISEE: Appointment.franchisee_id,
        LEVEL_STORE: Appointment.store_id,
        LEVEL_GUIDE: Appointment.guide_id,
    }
    key = keys.get(level)
    stmt = (
        select(*([key] if key is not None else []), func.count(Appointment.id))
        .join(CampaignVisit, CampaignVisit.customer_id == Appointment.customer_id)
        .where(
            CampaignVisit.campaign_id == campaign_id,
            Appointment.created_at >= CampaignVisit.visited_at,
        )
    )
    if key is not None:
        stmt = stmt.group_by(key)
    return {
        (tuple(row)[0] if key is not None else TOTAL): int(row[-1])
        for row in db.session.execute(stmt)
        if row[-1]
    }


def actuals(campaign_id: int, level: str) -> dict[int | None, Figures]:
    """Figures per unit id of ``level`` (region, franchisee, store or guide id).

    Units with nothing are absent; ``None`` collects what has no unit at that level
    (an order without a guide, say).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    return _collect(campaign_id, level)


def totals(campaign_id: int) -> Figures:
    """The whole campaign's figures."""
    return _collect(campaign_id, TOTAL).get(TOTAL, Figures())


def _collect(campaign_id: int, level: str) -> dict:
    out: dict = {}
    for unit, (gmv, orders, buyers) in _orders(campaign_id, level).items():
        f = out.setdefault(unit, Figures())
        f.gmv_fen, f.orders, f.buyers = gmv, orders, buyers
    for unit, (visitors, new) in _visits(campaign_id, level).items():
        f = out.setdefault(unit, Figures())
        f.visitors, f.new_customers = visitors, new
    for unit, joins in _joins(campaign_id, level).items():
        out.setdefault(unit, Figures()).group_joins = joins
    for unit, count in _appointments(campaign_id, level).items():
        out.setdefault(unit, Figures()).appointments = count
    return out
