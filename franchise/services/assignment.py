"""The assignment engine: which franchisee, store and guide own a customer (DESIGN.md).

Rules, first that applies wins: (1) the share code / store QR scene the customer came
with, (2) an existing binding inside its protection period (restarted by each visit,
appointment or purchase: ``extend_binding``), (3) the nearest open store
within the radius, (4) the region default franchisee of the customer's city, (5) the
HQ pool, balanced across the region's (else all) active franchisees by open capacity
(sum of open stores' ``customer_capacity`` minus current customers; ties by id).

Rules 3–5 ask an ``OrgView``: ``LiveView`` answers one customer with indexed queries
(bounding box on ``(latitude, longitude)`` plus haversine); ``MemoryView`` (in
``assignment_snapshot``) loads the organisation once into memory (a ``StoreGrid`` of open
stores, loads kept current as it assigns) for the bulk paths — backlog (``assign_backlog``), a
closed store's and a departed guide's customers (继承) — which live in
``assignment_bulk``. Every change writes one
``AssignmentHistory`` row; no change, no row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update

from app.clock import utcnow
from app.direct_read import read_rows
from app.errors import DomainError
from app.extensions import db
from franchise.models import (
    ACTIVE,
    RULE_HQ_POOL,
    RULE_NEAREST_STORE,
    RULE_REGION_DEFAULT,
    AssignmentHistory,
    Customer,
    Franchisee,
    Guide,
    Region,
    RegionCity,
    Store,
    open_store_clause,
)
from franchise.services import settings
from franchise.services.store_grid import KM_PER_DEGREE, haversine_km

CHUNK = 20_000


class NoFranchiseeAvailable(DomainError):
    """No active franchisee exists, so a customer cannot be owned by anyone."""

    status = 503
    code = "no_franchisee"


@dataclass(frozen=True)
class Target:
    """Where a rule puts a customer."""

    franchisee_id: int
    store_id: int | None
    guide_id: int | None
    rule: str


# the open stores in a box around the customer (built once; the bounds are parameters
# ``lat0``..``lng1``: ``LiveView.box``); the login reads them with a new customer's find
NEAR_STORES = select(Store.id, Store.franchisee_id, Store.latitude, Store.longitude).where(
    open_store_clause(),
    Store.latitude.between(bindparam("lat0"), bindparam("lat1")),
    Store.longitude.between(bindparam("lng0"), bindparam("lng1")),
)


def _pool_pick(candidates, capacity: dict, load: dict, balancing: bool) -> int | None:
    key = (
        (lambda f: (load.get(f, 0) - capacity.get(f, 0), f))
        if balancing
        else (lambda f: (load.get(f, 0), f))
    )
    return min(candidates, key=key, default=None)


class PlaceRules:
    """What rules 3–5 are tuned by: the nearest-store radius and whether the HQ pool
    balances by open capacity (HQ's settings unless given). ``LiveView`` and
    ``assignment_snapshot.MemoryView`` apply the rules under them."""

    def __init__(
        self,
        radius_km: float | None = None,
        balancing: bool | None = None,
        *,
        nothing_pending: bool = False,
    ):
        self.radius_km = settings.radius_km() if radius_km is None else radius_km
        self.balancing = settings.pool_balancing() if balancing is None else balancing
        # the caller holds no unflushed ORM change (the login): the nearest-store read runs
        # straight on the session's connection (``app.direct_read``: no ORM, no autoflush)
        self.nothing_pending = nothing_pending


class LiveView(PlaceRules):
    """Rules 3–5 for one customer at a time, by indexed queries."""

    def nearest(self, lat: float, lng: float) -> tuple[int, int, float] | None:
        """``(store_id, franchisee_id, km)`` of the nearest open store within the radius."""
        box = self.box(lat, lng)
        rows = (
            read_rows(db.session.connection(), NEAR_STORES, box)
            if self.nothing_pending
            else db.session.execute(NEAR_STORES, box)
        )
        return self.nearest_of(rows, lat, lng)

    def box(self, lat: float, lng: float) -> dict[str, float]:
        """``NEAR_STORES``' bounds: the radius around ``(lat, lng)`` in degrees."""
        dlat = self.radius_km / KM_PER_DEGREE
        dlng = self.radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        return {"lat0": lat - dlat, "lat1": lat + dlat, "lng0": lng - dlng, "lng1": lng + dlng}

    def nearest_of(self, rows, lat: float, lng: float) -> tuple[int, int, float] | None:
        """``nearest`` among ``NEAR_STORES``' rows ``(id, franchisee_id, lat, lng)``."""
        best = None
        for sid, fid, slat, slng in rows:
            km = haversine_km(lat, lng, slat, slng)
            if km <= self.radius_km and (best is None or (km, sid) < (best[2], best[0])):
                best = (sid, fid, km)
        return best

    def region_default(self, city: str) -> int | None:
        return db.session.scalar(
            select(Region.default_franchisee_id)
            .join(RegionCity, RegionCity.region_id == Region.id)
            .join(Franchisee, Franchisee.id == Region.default_franchisee_id)
            .where(RegionCity.city == city, Franchisee.status == ACTIVE)
        )

    def pool(self, city: str | None) -> int | None:
        stmt = select(Franchisee.id).where(Franchisee.status == ACTIVE)
        if city:
            region = select(RegionCity.region_id).where(RegionCity.city == city).scalar_subquery()
            regional = db.session.scalars(stmt.where(Franchisee.region_id == region)).all()
        else:
            regional = []
        candidates = regional or db.session.scalars(stmt).all()
        if not candidates:
            return None
        capacity = dict(
            db.session.execute(
                select(Store.franchisee_id, func.coalesce(func.sum(Store.customer_capacity), 0))
                .where(Store.is_open.is_(True), Store.franchisee_id.in_(candidates))
                .group_by(Store.franchisee_id)
            ).all()
        )
        load = dict(
            db.session.execute(
                select(Customer.franchisee_id, func.count())
                .where(Customer.franchisee_id.in_(candidates))
                .group_by(Customer.franchisee_id)
            ).all()
        )
        return _pool_pick(candidates, capacity, load, self.balancing)

    def least_loaded_store(self, franchisee_id: int) -> int | None:
        stores = db.session.scalars(
            select(Store.id).where(Store.franchisee_id == franchisee_id, Store.is_open.is_(True))
        ).all()
        load = dict(
            db.session.execute(
                select(Customer.store_id, func.count())
                .where(Customer.store_id.in_(stores))
                .group_by(Customer.store_id)
            ).all()
        )
        return min(stores, key=lambda s: (load.get(s, 0), s), default=None)

    def moved(self, old: tuple, new: tuple) -> None:
        """Loads are read fresh from the database each time; nothing to track."""


def decide_by_place(view, lat: float | None, lng: float | None, city: str | None) -> Target:
    """Rules 3–5: nearest open store in the radius, region default, balanced HQ pool."""
    if lat is not None and lng is not None:
        hit = view.nearest(lat, lng)
        if hit is not None:
            return Target(hit[1], hit[0], None, RULE_NEAREST_STORE)
    if city:
        fid = view.region_default(city)
        if fid is not None:
            return Target(fid, view.least_loaded_store(fid), None, RULE_REGION_DEFAULT)
    fid = view.pool(city)
    if fid is None:
        raise NoFranchiseeAvailable("No active franchisee can take customers right now.")
    return Target(fid, view.least_loaded_store(fid), None, RULE_HQ_POOL)


@dataclass(frozen=True)
class Binding:
    """A customer's current owner, when it was bound and whether each part of it can
    still own them (the login reads all of it in its one customer statement)."""

    bound_at: datetime | None
    franchisee_id: int | None
    store_id: int | None
    guide_id: int | None
    franchisee_active: bool = True
    store_open: bool = True
    guide_active: bool = True

    def holds(self, lock_days: int, now=None) -> bool:
        """Rule 2: inside the protection period and every part of the owner still valid."""
        now = now or utcnow()
        bound_at = self.bound_at
        if bound_at is None or self.franchisee_id is None:
            return False
        if bound_at.tzinfo is None:
            bound_at = bound_at.replace(tzinfo=now.tzinfo)
        if bound_at + timedelta(days=lock_days) <= now:
            return False
        return (
            self.franchisee_active
            and (self.store_id is None or self.store_open)
            and (self.guide_id is None or self.guide_active)
        )


def binding_holds(customer: Customer, lock_days: int, now=None) -> bool:
    """Rule 2 for a loaded customer: the current owner is still valid and inside its
    protection period (the owner's rows are read only when the period has not ended)."""
    binding = Binding(
        customer.bound_at, customer.franchisee_id, customer.store_id, customer.guide_id
    )
    if not binding.holds(lock_days, now):
        return False
    franchisee = db.session.get(Franchisee, customer.franchisee_id)
    store = db.session.get(Store, customer.store_id) if customer.store_id else None
    guide = db.session.get(Guide, customer.guide_id) if customer.guide_id else None
    return replace(
        binding,
        franchisee_active=franchisee is not None and franchisee.status == ACTIVE,
        store_open=store is not None and store.is_open,
        guide_active=guide is not None and guide.status == ACTIVE,
    ).holds(lock_days, now)


def extend_binding(customer_id: int, at: datetime | None = None) -> bool:
    """A real event (a visit, an appointment, a purchase) restarts the customer's
    protection period at ``at``, so a months-long buying cycle is not lost to a timer:
    one conditional UPDATE that only moves ``bound_at`` forward (never back, whatever
    order events arrive in). The caller commits. True when it moved."""
    at = at or utcnow()
    result = db.session.execute(
        update(Customer)
        .where(Customer.id == customer_id, Customer.bound_at < at)
        .values(bound_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def extend_binding_on_paid(rows) -> None:
    """``ORDER_PAID`` listener: each buyer's binding window restarts at their payment
    (commits)."""
    for row in rows:
        extend_binding(row.customer_id, row.paid_at)
    db.session.commit()


def history_row(
    customer_id: int | None,
    old: tuple,
    new: tuple,
    rule: str,
    *,
    actor_user_id=None,
    reason="",
    now,
) -> dict:
    """The ``AssignmentHistory`` values of one change of owner ``old`` → ``new``."""
    return {
        "customer_id": customer_id,
        "from_franchisee_id": old[0],
        "from_store_id": old[1],
        "from_guide_id": old[2],
        "to_franchisee_id": new[0],
        "to_store_id": new[1],
        "to_guide_id": new[2],
        "rule": rule,
        "actor_user_id": actor_user_id,
        "reason": reason[:255],
        "created_at": now,
    }


def apply_target(
    customer: Customer, target: Target, *, rule=None, actor_user_id=None, reason="", now=None
) -> bool:
    """Point ``customer`` at ``target``; add one history row when anything changed."""
    old = (customer.franchisee_id, customer.store_id, customer.guide_id)
    new = (target.franchisee_id, target.store_id, target.guide_id)
    if old == new:
        return False
    now = now or utcnow()
    customer.franchisee_id, customer.store_id, customer.guide_id = new
    customer.assignment_rule = rule or target.rule
    customer.bound_at = now
    if customer.id is None:
        db.session.add(customer)
        db.session.flush()
    db.session.add(
        AssignmentHistory(
            **history_row(
                customer.id,
                old,
                new,
                rule or target.rule,
                actor_user_id=actor_user_id,
                reason=reason,
                now=now,
            )
        )
    )
    return True
