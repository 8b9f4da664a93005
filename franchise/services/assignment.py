"""The assignment engine: which franchisee, store and guide own a customer (DESIGN.md).

Rules, first that applies wins: (1) the share code / store QR scene the customer came
with, (2) an existing binding inside its protection period, (3) the nearest open store
within the radius, (4) the region default franchisee of the customer's city, (5) the
HQ pool, balanced across the region's (else all) active franchisees by open capacity
(sum of open stores' ``customer_capacity`` minus current customers; ties by id).

Rules 3–5 ask an ``OrgView``: ``LiveView`` answers one customer with indexed queries
(bounding box on ``(latitude, longitude)`` plus haversine); ``Snapshot`` loads the
organisation once into memory (a grid of open stores, loads kept current as it
assigns) for the bulk paths — backlog (``assign_backlog``), a closed store's and a
departed guide's customers (继承) — which write chunked executemany UPDATEs and
history INSERTs. Every change writes one ``AssignmentHistory`` row; no change, no row.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select

from app.auth.models import utcnow
from app.errors import DomainError
from app.extensions import db
from franchise.models import (
    ACTIVE,
    RULE_GUIDE_LEFT,
    RULE_HQ_POOL,
    RULE_NEAREST_STORE,
    RULE_REGION_DEFAULT,
    RULE_STORE_CLOSED,
    AssignmentHistory,
    Customer,
    Franchisee,
    Guide,
    Region,
    RegionCity,
    Store,
)
from franchise.services import settings

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32
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


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = _hav(p1, math.radians(lng1), math.cos(p1), p2, math.radians(lng2), math.cos(p2))
    return _km(a)


def _hav(p1: float, l1: float, c1: float, p2: float, l2: float, c2: float) -> float:
    """The haversine term of two points in radians (with their latitudes' cosines)."""
    return math.sin((p2 - p1) / 2) ** 2 + c1 * c2 * math.sin((l2 - l1) / 2) ** 2


def _km(a: float) -> float:
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _pool_pick(candidates, capacity: dict, load: dict, balancing: bool) -> int | None:
    key = (
        (lambda f: (load.get(f, 0) - capacity.get(f, 0), f))
        if balancing
        else (lambda f: (load.get(f, 0), f))
    )
    return min(candidates, key=key, default=None)


class LiveView:
    """Rules 3–5 for one customer at a time, by indexed queries."""

    def __init__(self, radius_km: float | None = None, balancing: bool | None = None):
        self.radius_km = settings.radius_km() if radius_km is None else radius_km
        self.balancing = settings.pool_balancing() if balancing is None else balancing

    def _open_stores(self):
        return (
            select(Store.id, Store.franchisee_id, Store.latitude, Store.longitude)
            .join(Franchisee, Franchisee.id == Store.franchisee_id)
            .where(Store.is_open.is_(True), Franchisee.status == ACTIVE)
        )

    def nearest(self, lat: float, lng: float) -> tuple[int, int, float] | None:
        """``(store_id, franchisee_id, km)`` of the nearest open store within the radius."""
        dlat = self.radius_km / KM_PER_DEGREE
        dlng = self.radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        rows = db.session.execute(
            self._open_stores().where(
                Store.latitude.between(lat - dlat, lat + dlat),
                Store.longitude.between(lng - dlng, lng + dlng),
            )
        )
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


class Snapshot:
    """The organisation in memory for one batch: a grid of open stores and live loads."""

    def __init__(self, radius_km: float | None = None, balancing: bool | None = None):
        self.radius_km = settings.radius_km() if radius_km is None else radius_km
        self.balancing = settings.pool_balancing() if balancing is None else balancing
        self.region_of = dict(
            db.session.execute(
                select(Franchisee.id, Franchisee.region_id).where(Franchisee.status == ACTIVE)
            ).all()
        )
        self.by_region: dict = defaultdict(list)
        for fid, rid in sorted(self.region_of.items()):
            self.by_region[rid].append(fid)
        self.city_region = dict(
            db.session.execute(select(RegionCity.city, RegionCity.region_id)).all()
        )
        self.defaults = {
            rid: fid
            for rid, fid in db.session.execute(select(Region.id, Region.default_franchisee_id))
            if fid in self.region_of
        }
        self.cell = max(self.radius_km / KM_PER_DEGREE, 0.002)
        self.grid: dict = defaultdict(list)
        self.stores_of: dict = defaultdict(list)
        self.capacity: dict = defaultdict(int)
        stores = db.session.execute(
            select(
                Store.id,
                Store.franchisee_id,
                Store.latitude,
                Store.longitude,
                Store.customer_capacity,
            )
            .where(
                Store.is_open.is_(True),
                Store.franchisee_id.in_(select(Franchisee.id).where(Franchisee.status == ACTIVE)),
            )
            .order_by(Store.id)
        )
        for sid, fid, lat, lng, cap in stores:
            p = math.radians(lat)
            cell = (math.floor(lat / self.cell), math.floor(lng / self.cell))
            self.grid[cell].append((sid, fid, p, math.radians(lng), math.cos(p)))
            self.stores_of[fid].append(sid)
            self.capacity[fid] += cap or 0
        self.f_load = dict(
            db.session.execute(
                select(Customer.franchisee_id, func.count()).group_by(Customer.franchisee_id)
            ).all()
        )
        self.s_load = dict(
            db.session.execute(
                select(Customer.store_id, func.count())
                .where(Customer.store_id.is_not(None))
                .group_by(Customer.store_id)
            ).all()
        )
        self.heaps: dict = {}

    def nearest(self, lat: float, lng: float) -> tuple[int, int, float] | None:
        """The grid cells the radius can reach; compares haversine terms, not km."""
        cell, radius, grid, sin = self.cell, self.radius_km, self.grid, math.sin
        p1, l1 = math.radians(lat), math.radians(lng)
        c1 = math.cos(p1)
        ci, cj = math.floor(lat / cell), math.floor(lng / cell)
        di = math.ceil(radius / KM_PER_DEGREE / cell)
        dj = math.ceil(radius / (KM_PER_DEGREE * max(c1, 0.01)) / cell)
        best, best_a = None, math.sin(radius / (2 * EARTH_RADIUS_KM)) ** 2
        for i in range(ci - di, ci + di + 1):
            for j in range(cj - dj, cj + dj + 1):
                bucket = grid.get((i, j))
                if not bucket:
                    continue
                for sid, fid, p2, l2, c2 in bucket:
                    a = sin((p2 - p1) / 2) ** 2 + c1 * c2 * sin((l2 - l1) / 2) ** 2
                    if a < best_a or (a == best_a and (best is None or sid < best[0])):
                        best, best_a = (sid, fid), a
        return None if best is None else (best[0], best[1], _km(best_a))

    def region_default(self, city: str) -> int | None:
        return self.defaults.get(self.city_region.get(city))

    def _score(self, fid: int):
        load = self.f_load.get(fid, 0)
        return load - self.capacity.get(fid, 0) if self.balancing else load

    def pool(self, city: str | None) -> int | None:
        rid = self.city_region.get(city) if city else None
        key = rid if rid in self.by_region else None
        heap = self.heaps.get(key)
        if heap is None:
            members = self.by_region[key] if key is not None else sorted(self.region_of)
            heap = self.heaps[key] = [(self._score(f), f) for f in members]
            heapq.heapify(heap)
        while heap:
            score, fid = heap[0]
            if score == self._score(fid):
                return fid
            heapq.heappop(heap)  # stale: a current entry was pushed when the load changed
        return None

    def least_loaded_store(self, franchisee_id: int) -> int | None:
        load = self.s_load
        return min(
            self.stores_of.get(franchisee_id, ()), key=lambda s: (load.get(s, 0), s), default=None
        )

    def moved(self, old: tuple, new: tuple) -> None:
        """Keep loads current: ``old``/``new`` are ``(franchisee_id, store_id)``."""
        f_load, s_load, heaps = self.f_load, self.s_load, self.heaps
        for (fid, sid), step in ((old, -1), (new, 1)):
            if sid is not None:
                s_load[sid] = s_load.get(sid, 0) + step
            if fid is None:
                continue
            f_load[fid] = f_load.get(fid, 0) + step
            region = self.region_of.get(fid)
            if region is None:  # not active: never a pool candidate
                continue
            for key in (region, None):
                heap = heaps.get(key)
                if heap is not None:
                    heapq.heappush(heap, (self._score(fid), fid))


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


def binding_holds(customer: Customer, lock_days: int, now=None) -> bool:
    """Rule 2: the current owner is still valid and inside its protection period."""
    now = now or utcnow()
    bound_at = customer.bound_at
    if bound_at is None or customer.franchisee_id is None:
        return False
    if bound_at.tzinfo is None:
        bound_at = bound_at.replace(tzinfo=now.tzinfo)
    if bound_at + timedelta(days=lock_days) <= now:
        return False
    franchisee = db.session.get(Franchisee, customer.franchisee_id)
    store = db.session.get(Store, customer.store_id) if customer.store_id else None
    guide = db.session.get(Guide, customer.guide_id) if customer.guide_id else None
    return (
        franchisee is not None
        and franchisee.status == ACTIVE
        and (customer.store_id is None or (store is not None and store.is_open))
        and (customer.guide_id is None or (guide is not None and guide.status == ACTIVE))
    )


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
            customer_id=customer.id,
            from_franchisee_id=old[0],
            from_store_id=old[1],
            from_guide_id=old[2],
            to_franchisee_id=new[0],
            to_store_id=new[1],
            to_guide_id=new[2],
            rule=rule or target.rule,
            actor_user_id=actor_user_id,
            reason=reason[:255],
            created_at=now,
        )
    )
    return True


# --- bulk paths ---------------------------------------------------------------------

_ROW = (
    Customer.id,
    Customer.franchisee_id,
    Customer.store_id,
    Customer.guide_id,
    Customer.latitude,
    Customer.longitude,
    Customer.city,
)


_HISTORY_COLUMNS = (
    "customer_id, from_franchisee_id, from_store_id, from_guide_id, to_franchisee_id, "
    "to_store_id, to_guide_id, rule, actor_user_id, reason, created_at"
)


def _write_chunk(conn, changes: list, actor_user_id, now) -> None:
    """Write one chunk of decisions: customers UPDATE and history INSERT, driver-level.

    PostgreSQL: two statements over ``unnest`` arrays. Others (SQLite): two executemany.
    """
    if not changes:
        return
    bind = Customer.__table__.c.bound_at.type._cached_bind_processor(conn.dialect)
    when = bind(now) if bind else now
    cols = list(
        zip(
            *[
                (c[0], t.franchisee_id, t.store_id, t.guide_id, r, c[1], c[2], c[3], reason[:255])
                for c, t, r, reason in changes
            ],
            strict=True,
        )
    )
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "UPDATE customers SET franchisee_id = v.fid, store_id = v.sid, guide_id = v.gid, "
            "assignment_rule = v.rule, bound_at = %s FROM unnest(%s::int[], %s::int[], %s::int[], "
            "%s::int[], %s::text[]) AS v(id, fid, sid, gid, rule) WHERE customers.id = v.id",
            (when, *(list(col) for col in cols[:5])),
        )
        conn.exec_driver_sql(
            f"INSERT INTO assignment_history ({_HISTORY_COLUMNS}) SELECT v.cid, v.ff, v.fs, v.fg, "
            "v.fid, v.sid, v.gid, v.rule, %s, v.reason, %s FROM unnest(%s::int[], %s::int[], "
            "%s::int[], %s::int[], %s::text[], %s::int[], %s::int[], %s::int[], %s::text[]) "
            "AS v(cid, fid, sid, gid, rule, ff, fs, fg, reason)",
            (actor_user_id, when, *(list(col) for col in cols)),
        )
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        f"UPDATE customers SET franchisee_id = {mark}, store_id = {mark}, guide_id = {mark}, "
        f"assignment_rule = {mark}, bound_at = {mark} WHERE id = {mark}",
        [(f, s_, g, r, when, cid) for cid, f, s_, g, r in zip(*cols[:5], strict=True)],
    )
    conn.exec_driver_sql(
        f"INSERT INTO assignment_history ({_HISTORY_COLUMNS}) VALUES ({', '.join([mark] * 11)})",
        [
            (cid, ff, fs, fg, f, s_, g, r, actor_user_id, reason, when)
            for cid, f, s_, g, r, ff, fs, fg, reason in zip(*cols, strict=True)
        ],
    )


def _write_in_own_transaction(engine, changes: list, actor_user_id, now) -> None:
    """Write one chunk on a connection of its own (the writer thread), committing it."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":  # a 256 MB page cache keeps 1M-row indexes in memory
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        _write_chunk(conn, changes, actor_user_id, now)


def _run_bulk(where, decide: Callable, *, actor_user_id=None, progress=None, chunk=CHUNK) -> int:
    """Decide and write every customer matching ``where`` in id-ordered chunks; commits each.

    ``decide(row)`` returns ``(Target, rule, reason)``. Returns how many customers changed.
    A single chunk is written in the session's transaction. Longer runs hand each chunk
    to one writer thread with its own connection, so the next chunk is decided while the
    database writes the last (the keyset on id never rereads a written row).
    """
    changed, last_id, now = 0, 0, utcnow()
    engine, writer, pending = db.engine, None, None
    try:
        while True:
            rows = db.session.execute(
                select(*_ROW).where(where, Customer.id > last_id).order_by(Customer.id).limit(chunk)
            ).all()
            if not rows:
                break
            changes = []
            for row in rows:
                target, rule, reason = decide(row)
                if (target.franchisee_id, target.store_id, target.guide_id) != row[1:4]:
                    changes.append((row, target, rule, reason))
            if writer is None and len(rows) < chunk:  # the only (or last) chunk: inline
                if pending is not None:
                    pending.result()
                    pending = None
                _write_chunk(db.session.connection(), changes, actor_user_id, now)
                db.session.commit()
            else:
                db.session.rollback()  # end the read transaction; the writer commits
                writer = writer or ThreadPoolExecutor(1, thread_name_prefix="assign-writer")
                if pending is not None:
                    pending.result()
                pending = writer.submit(
                    _write_in_own_transaction, engine, changes, actor_user_id, now
                )
            changed += len(changes)
            last_id = rows[-1][0]
            if progress is not None:
                progress(len(rows))
        if pending is not None:
            pending.result()
    except Exception:
        db.session.rollback()
        raise
    finally:
        if writer is not None:
            writer.shutdown(wait=True)
    return changed


def _place_decider(view, rule: str | None, reason: str):
    def decide(row):
        target = decide_by_place(view, row[4], row[5], row[6])
        view.moved((row[1], row[2]), (target.franchisee_id, target.store_id))
        return target, rule or target.rule, f"{reason} ({target.rule})" if rule else reason

    return decide


def _guide_decider(view: Snapshot, reason: str):
    """Hand a departed guide's customers to the least-loaded active guide of the same store."""
    guides: dict = {}

    def decide(row):
        sid = row[2]
        if sid not in guides:
            ids = db.session.scalars(
                select(Guide.id).where(Guide.store_id == sid, Guide.status == ACTIVE)
            ).all()
            load = dict(
                db.session.execute(
                    select(Customer.guide_id, func.count())
                    .where(Customer.guide_id.in_(ids))
                    .group_by(Customer.guide_id)
                ).all()
            )
            guides[sid] = {g: load.get(g, 0) for g in ids}
        pool = guides[sid]
        gid = min(pool, key=lambda g: (pool[g], g), default=None)
        if gid is not None:
            pool[gid] += 1
        return Target(row[1], sid, gid, RULE_GUIDE_LEFT), RULE_GUIDE_LEFT, reason

    return decide


def _open_and_active():
    """Ids of open stores of active franchisees, active franchisees and active guides."""
    active_f = select(Franchisee.id).where(Franchisee.status == ACTIVE)
    open_s = select(Store.id).where(Store.is_open.is_(True), Store.franchisee_id.in_(active_f))
    active_g = select(Guide.id).where(Guide.status == ACTIVE)
    return active_f, open_s, active_g


def backlog_condition():
    """Customers whose franchisee is not active, or whose store is closed or guide left."""
    active_f, open_s, active_g = _open_and_active()
    return or_(
        Customer.franchisee_id.not_in(active_f),
        (Customer.store_id.is_not(None)) & Customer.store_id.not_in(open_s),
        (Customer.guide_id.is_not(None)) & Customer.guide_id.not_in(active_g),
    )


def count_backlog() -> int:
    return (
        db.session.scalar(select(func.count()).select_from(Customer).where(backlog_condition()))
        or 0
    )


def assign_backlog(
    progress=None, chunk: int = CHUNK, actor_user_id=None, view: Snapshot | None = None
) -> int:
    """Reassign every customer in the backlog in bulk; returns how many changed.

    A customer whose franchisee or store is no longer valid goes through rules 3–5;
    one whose only problem is a departed guide stays in the store with another guide.
    """
    view = view or Snapshot()
    active_f, open_s, active_g = (set(db.session.scalars(s)) for s in _open_and_active())
    by_place = _place_decider(view, None, "backlog")
    by_guide = _guide_decider(view, "backlog: guide left")

    def decide(row):
        if row[1] in active_f and (row[2] is None or row[2] in open_s):
            return by_guide(row)
        return by_place(row)

    return _run_bulk(
        backlog_condition(), decide, actor_user_id=actor_user_id, progress=progress, chunk=chunk
    )


def inherit_store_customers(store_id: int) -> int:
    """A closed store's customers go to rules 3–5 (the closed store is not a candidate)."""
    store = db.session.get(Store, store_id)
    if store is None or store.is_open:
        return 0
    decide = _place_decider(Snapshot(), RULE_STORE_CLOSED, f"Store {store.code} closed")
    return _run_bulk(Customer.store_id == store_id, decide)


def inherit_guide_customers(guide_id: int) -> int:
    """A departed guide's customers go to another active guide of the store (least loaded),
    else stay with the store and no guide; when the store is closed too, rules 3–5."""
    guide = db.session.get(Guide, guide_id)
    if guide is None or guide.status == ACTIVE:
        return 0
    reason = f"Guide {guide.name} left"
    store = db.session.get(Store, guide.store_id)
    view = Snapshot()
    if store is not None and store.is_open and store.franchisee_id in view.region_of:
        decide = _guide_decider(view, reason)
    else:
        decide = _place_decider(view, RULE_GUIDE_LEFT, reason)
    return _run_bulk(Customer.guide_id == guide_id, decide)
