"""The bulk path's fast structures agree with plain scans, and its writes keep history.

The store positions and probe points are random; a failure prints the seed to replay.
"""

from __future__ import annotations

import math

from sqlalchemy import select

from app.extensions import db
from franchise.models import AssignmentHistory, Customer
from franchise.services.assignment_bulk import assign_backlog
from franchise.services.assignment_snapshot import MemoryView
from franchise.services.store_grid import EARTH_RADIUS_KM, KM_PER_DEGREE, term_km
from tests.franchise.factories import gen_franchisee, gen_region, gen_store
from tests.franchise.factories_customers import gen_customer


def scan_nearest(snap: MemoryView, lat: float, lng: float):
    """The reference: every grid cell the radius can reach, scanned one by one."""
    cell, radius = snap.grid.cell, snap.radius_km
    p1, l1 = math.radians(lat), math.radians(lng)
    c1 = math.cos(p1)
    ci, cj = math.floor(lat / cell), math.floor(lng / cell)
    di = math.ceil(radius / KM_PER_DEGREE / cell)
    dj = math.ceil(radius / (KM_PER_DEGREE * max(c1, 0.01)) / cell)
    best, best_a = None, math.sin(radius / (2 * EARTH_RADIUS_KM)) ** 2
    for i in range(ci - di, ci + di + 1):
        for j in range(cj - dj, cj + dj + 1):
            for sid, fid, p2, l2, c2 in snap.grid.cells.get((i, j), ()):
                a = math.sin((p2 - p1) / 2) ** 2 + c1 * c2 * math.sin((l2 - l1) / 2) ** 2
                if a < best_a or (a == best_a and (best is None or sid < best[0])):
                    best, best_a = (sid, fid), a
    return None if best is None else (best[0], best[1], term_km(best_a))


def cluster(rng, n_franchisees=3, stores_each=6):
    """Franchisees with stores scattered around one point (some sharing a position)."""
    region = gen_region(cities=("上海",))
    franchisees = [gen_franchisee(region) for _ in range(n_franchisees)]
    stores = []
    for f in franchisees:
        for _ in range(stores_each):
            lat, lng = 31.2 + rng.uniform(-0.3, 0.3), 121.4 + rng.uniform(-0.3, 0.3)
            stores.append(gen_store(f, latitude=lat, longitude=lng, customer_capacity=50))
    twin = stores[0]
    stores.append(gen_store(franchisees[1], latitude=twin.latitude, longitude=twin.longitude))
    return region, franchisees, stores


def test_cached_nearest_matches_a_cell_scan(ctx, seeded_random):
    cluster(seeded_random(0))
    snap, rng = MemoryView(), seeded_random(1)
    points = [(31.2 + rng.gauss(0, 0.2), 121.4 + rng.gauss(0, 0.2)) for _ in range(3000)]
    points += [(s[2] * 180 / math.pi, s[3] * 180 / math.pi) for s in snap.grid.stores]
    hits = 0
    for lat, lng in points + points:  # twice: the second pass reads the cache
        got = snap.nearest(lat, lng)
        assert got == scan_nearest(snap, lat, lng)
        hits += got is not None
    assert 0 < hits < 2 * len(points)


def test_store_heaps_follow_moves(ctx, seeded_random):
    _, franchisees, stores = cluster(seeded_random(0))
    snap, rng = MemoryView(), seeded_random(1)
    sids = [s.id for s in stores]
    for _ in range(2000):
        fid = rng.choice(franchisees).id
        old = (rng.choice([None, fid]), rng.choice([None, *sids]))
        new = (fid, snap.least_loaded_store(fid) if rng.random() < 0.7 else rng.choice(sids))
        snap.moved(old, new)
        for f in franchisees:
            expected = min(
                snap.stores_of[f.id], key=lambda s: (snap.s_load.get(s, 0), s), default=None
            )
            assert snap.least_loaded_store(f.id) == expected


def test_bulk_in_chunks_writes_old_and_new_owner_to_history(ctx, seeded_random):
    _, franchisees, stores = cluster(seeded_random())
    holder = gen_franchisee(name="import", status="suspended")
    customers = [
        gen_customer(
            franchisee_id=holder.id, latitude=s.latitude + 0.001, longitude=s.longitude, city="上海"
        )
        for s in stores
    ] + [gen_customer(franchisee_id=holder.id, city="上海") for _ in range(7)]
    assert assign_backlog(chunk=4) == len(customers)
    db.session.expire_all()
    rows = {h.customer_id: h for h in db.session.scalars(select(AssignmentHistory))}
    assert len(rows) == len(customers)
    for c in customers:
        c = db.session.get(Customer, c.id)
        h = rows[c.id]
        assert (h.from_franchisee_id, h.from_store_id, h.from_guide_id) == (holder.id, None, None)
        assert (h.to_franchisee_id, h.to_store_id, h.to_guide_id) == (
            c.franchisee_id,
            c.store_id,
            c.guide_id,
        )
        assert h.rule == c.assignment_rule and h.reason == "backlog"
        assert c.franchisee_id in {f.id for f in franchisees} and c.store_id is not None
