"""The in-memory store directory behind ``GET /api/v1/mp/stores``: the same answer as
comparing every store (any stores, any place), and no stale store after a change, made
here (seen at once) or by another process (seen at the next version check)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.extensions import db, get_redis
from franchise.services import store_directory
from franchise.services.organisation import update_franchisee
from franchise.services.store_directory import VERSION_KEY, build_grid, nearest_in
from franchise.services.store_grid import haversine_km
from franchise.services.stores import close_store, reopen_store
from tests.franchise.factories import gen_store

STORES_URL = "/api/v1/mp/stores?latitude=31.2&longitude=121.4&limit=5"


def _degrees(low: float, high: float):
    """Evenly spread degrees (micro-degree steps: Hypothesis floats crowd at the ends)."""
    return st.integers(round(low * 1e6), round(high * 1e6)).map(lambda n: n / 1e6)


# Mostly China, where the grid answers; some anywhere, where it falls back on every store.
china = st.tuples(_degrees(18, 54), _degrees(73, 135))
anywhere = st.tuples(_degrees(-89.9, 89.9), _degrees(-179.9, 179.9))
place = st.one_of(china, china, china, anywhere)
# A city's worth of stores a few cells around the customer, where the rings matter.
offset = st.tuples(_degrees(-3, 3), _degrees(-3, 3))


def _row(i: int, lat: float, lng: float) -> SimpleNamespace:
    return SimpleNamespace(
        id=i,
        name=f"S{i}",
        city="c",
        address="",
        phone="",
        business_hours="",
        latitude=lat,
        longitude=lng,
    )


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    far=st.lists(place, max_size=60),
    near=st.lists(offset, min_size=20, max_size=120),
    at=place,
    limit=st.one_of(st.integers(1, 10), st.integers(1, 50)),
)
def test_nearest_matches_comparing_every_store(far, near, at, limit):
    around = [
        (max(-89.9, min(89.9, at[0] + a)), max(-179.9, min(179.9, at[1] + b))) for a, b in near
    ]
    stores = far + around
    rows = [_row(i + 1, lat, lng) for i, (lat, lng) in enumerate(stores)]
    grid = build_grid(rows)
    grid.compare_all_up_to = 0  # walk the grid even for a few stores
    got = nearest_in(grid, at[0], at[1], limit)
    every = sorted((haversine_km(at[0], at[1], r.latitude, r.longitude), r.id) for r in rows)
    assert [s["id"] for s in got] == [i for _km, i in every[:limit]]
    assert [s["distance_km"] for s in got] == [round(km, 3) for km, _i in every[:limit]]


def test_close_reopen_and_suspend_are_seen_at_once(client, ctx):
    near = gen_store(latitude=31.2, longitude=121.4)
    far = gen_store(latitude=31.3, longitude=121.5)
    ids = lambda: [s["id"] for s in client.get(STORES_URL).get_json()]  # noqa: E731
    assert ids() == [near.id, far.id]
    close_store(near)
    assert ids() == [far.id]
    reopen_store(near)
    assert ids() == [near.id, far.id]
    update_franchisee(far.franchisee, {"status": "suspended"})
    assert ids() == [near.id]


def test_a_change_by_another_process_is_seen_at_the_next_check(client, ctx, monkeypatch):
    store = gen_store(latitude=31.2, longitude=121.4, name="旧名")
    assert client.get(STORES_URL).get_json()[0]["name"] == "旧名"
    # another process renames it and bumps the version (its own commit hook does that)
    db.session.execute(text("UPDATE stores SET name = '新名' WHERE id = :i"), {"i": store.id})
    db.session.commit()
    assert client.get(STORES_URL).get_json()[0]["name"] == "旧名"  # within CHECK_SECONDS
    get_redis().incr(VERSION_KEY)
    monkeypatch.setattr(store_directory, "CHECK_SECONDS", 0.0)
    assert client.get(STORES_URL).get_json()[0]["name"] == "新名"


def test_a_change_nobody_announced_is_seen_within_the_age_limit(client, ctx, monkeypatch):
    store = gen_store(latitude=31.2, longitude=121.4)
    assert len(client.get(STORES_URL).get_json()) == 1
    db.session.execute(text("UPDATE stores SET is_open = false WHERE id = :i"), {"i": store.id})
    db.session.commit()
    monkeypatch.setattr(store_directory, "MAX_AGE_SECONDS", 0.0)
    assert client.get(STORES_URL).get_json() == []
