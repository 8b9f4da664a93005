"""``MemoryView``: the organisation in memory, the ``OrgView`` of the bulk assignment paths.

Loaded once per batch (``assignment_bulk``): the open stores in a ``StoreGrid`` of cells
about one radius wide, the regions and their default franchisees, and the franchisees' and
stores' customer counts. It answers rules 3–5 of ``assignment`` like ``LiveView`` does,
without a query per customer, and keeps its loads current as the batch assigns
(``moved``), with lazy heaps for the HQ pool and the least-loaded store.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from sqlalchemy import func, select

from app.extensions import db
from franchise.models import (
    ACTIVE,
    Customer,
    Franchisee,
    Region,
    RegionCity,
    Store,
    open_store_clause,
)
from franchise.services.assignment import PlaceRules
from franchise.services.store_grid import KM_PER_DEGREE, StoreGrid


class MemoryView(PlaceRules):
    """The organisation in memory for one batch: a grid of open stores and live loads."""

    def __init__(self, radius_km: float | None = None, balancing: bool | None = None):
        super().__init__(radius_km, balancing)
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
        self.defaults: dict[int | None, int] = {
            rid: fid
            for rid, fid in db.session.execute(select(Region.id, Region.default_franchisee_id))
            if fid in self.region_of
        }
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
            .where(open_store_clause())
            .order_by(Store.id)
        ).all()
        for sid, fid, _lat, _lng, cap in stores:
            self.stores_of[fid].append(sid)
            self.capacity[fid] += cap or 0
        self.grid = StoreGrid(
            max(self.radius_km / KM_PER_DEGREE, 0.002),
            ((sid, fid, lat, lng) for sid, fid, lat, lng, _cap in stores),
        )
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
        # least_loaded_store: a lazy heap of (load, store_id) per franchisee, as ``heaps``
        self.store_owner = {sid: fid for fid, sids in self.stores_of.items() for sid in sids}
        self.store_heaps: dict = {}
        # nearest(lat, lng): (store_id, franchisee_id, km) of the nearest open store within
        # the radius, or None; a plain function: it runs once per customer of the batch
        self.nearest = self.grid.within(self.radius_km)

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
        """The franchisee's open store with the fewest customers (ties: lowest id)."""
        load, heap = self.s_load, self.store_heaps.get(franchisee_id)
        if heap is None:
            stores = self.stores_of.get(franchisee_id, ())
            heap = self.store_heaps[franchisee_id] = [(load.get(s, 0), s) for s in stores]
            heapq.heapify(heap)
        while heap:
            n, sid = heap[0]
            if n == load.get(sid, 0):
                return sid
            heapq.heappop(heap)  # stale, as in ``pool``
        return None

    def moved(self, old: tuple, new: tuple) -> None:
        """Keep loads current: ``old``/``new`` are ``(franchisee_id, store_id)``; each
        changed load gets a fresh heap entry (stale ones are skipped when read)."""
        if old == new:
            return
        f_load, s_load, heaps, store_heaps = self.f_load, self.s_load, self.heaps, self.store_heaps
        push, balancing = heapq.heappush, self.balancing
        for (fid, sid), step in ((old, -1), (new, 1)):
            if sid is not None:
                n = s_load[sid] = s_load.get(sid, 0) + step
                heap = store_heaps.get(self.store_owner.get(sid))
                if heap is not None:
                    push(heap, (n, sid))
            if fid is None:
                continue
            n = f_load[fid] = f_load.get(fid, 0) + step
            region = self.region_of.get(fid)
            if region is None:  # not active: never a pool candidate
                continue
            entry = (n - self.capacity.get(fid, 0) if balancing else n, fid)
            for heap in (heaps.get(region), heaps.get(None)):
                if heap is not None:
                    push(heap, entry)
