"""One ``StoreGrid`` behind every in-memory nearest-store lookup: the bulk assignment's
``MemoryView`` and the mini-program's store directory both hold one, and its radius
lookup finds what comparing every store finds (any stores, any place, any radius)."""

from __future__ import annotations

import math

from flask import current_app
from hypothesis import given, settings
from hypothesis import strategies as st

from franchise.services.assignment_snapshot import MemoryView
from franchise.services.store_directory import directory
from franchise.services.store_grid import KM_PER_DEGREE, StoreGrid, haversine_term, term_km
from tests.franchise.factories import gen_store


def _degrees(low: float, high: float):
    return st.integers(round(low * 1e6), round(high * 1e6)).map(lambda n: n / 1e6)


def _by_comparing_every_store(stores, lat, lng, radius_km):
    p, lam = math.radians(lat), math.radians(lng)
    limit = math.sin(radius_km / (2 * 6371.0088)) ** 2
    best = None
    for sid, fid, slat, slng in stores:
        q = math.radians(slat)
        a = haversine_term(p, lam, math.cos(p), q, math.radians(slng), math.cos(q))
        if a <= limit and (best is None or (a, sid) < best[:2]):
            best = (a, sid, fid)
    return None if best is None else (best[1], best[2], term_km(best[0]))


@settings(max_examples=300, deadline=None)
@given(
    spots=st.lists(st.tuples(_degrees(-0.5, 0.5), _degrees(-0.5, 0.5)), max_size=80),
    at=st.tuples(_degrees(-60, 60), _degrees(-179, 179)),
    radius_km=st.floats(0.2, 60),
    twins=st.integers(0, 5),
)
def test_within_matches_comparing_every_store(spots, at, radius_km, twins):
    stores = [(i + 1, 100 + i % 7, at[0] + a, at[1] + b) for i, (a, b) in enumerate(spots)]
    stores += [(len(stores) + k + 1, 1, *s[2:]) for k, s in enumerate(stores[:twins])]
    grid = StoreGrid(max(radius_km / KM_PER_DEGREE, 0.002), stores)
    nearest = grid.within(radius_km)
    for lat, lng in [at, *((s[2], s[3]) for s in stores[:10])]:
        assert nearest(lat, lng) == _by_comparing_every_store(stores, lat, lng, radius_km)


def test_assignment_and_directory_share_the_one_grid(ctx):
    store = gen_store(latitude=31.2, longitude=121.4)
    view = MemoryView(radius_km=5)
    app = current_app._get_current_object()
    built = directory(app).current(app)
    assert isinstance(view.grid, StoreGrid) and isinstance(built.grid, StoreGrid)
    assert view.nearest(31.2, 121.4) == (store.id, store.franchisee_id, 0.0)
    assert built.grid.nearest(31.2, 121.4, 1)[0][:2] == (0.0, store.id)
