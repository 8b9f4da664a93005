"""The open-store directory in memory: nearest stores for the mini-program without the database.

``GET /api/v1/mp/stores`` is the mini-program's busiest public read and the store list
changes a few times a day, so each process keeps a snapshot of the open stores of active
franchisees (each store's public fields already shaped for JSON) in a grid of cells.

Keeping it current:
* a commit that inserts, changes or deletes a ``Store`` or ``Franchisee`` bumps a version
  counter in Redis and drops this process's snapshot at once (SQLAlchemy session events);
* other processes compare their snapshot's version with Redis at most once per
  ``CHECK_SECONDS`` and rebuild when it moved; a snapshot older than ``MAX_AGE_SECONDS`` is
  rebuilt whatever the counter says (a change made by raw SQL is seen within that time).

``nearest`` gives exactly what the old widening bounding-box query gave: the ``limit``
nearest by haversine distance, ties by id.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db, get_redis
from franchise.models import Franchisee, Store, open_store_clause
from franchise.services.assignment import KM_PER_DEGREE, _hav, _km

VERSION_KEY = "siyu:store-directory:version"
CHECK_SECONDS = 1.0
MAX_AGE_SECONDS = 60.0
CELL_DEGREES = 0.5
# Rings searched before giving up on the grid and comparing every store (remote places).
MAX_RINGS = 8
PUBLIC_FIELDS = (
    "id",
    "name",
    "city",
    "address",
    "phone",
    "business_hours",
    "latitude",
    "longitude",
)


@dataclass(frozen=True)
class _Entry:
    id: int
    lat_rad: float
    lng_rad: float
    cos_lat: float
    public: dict


@dataclass
class Snapshot:
    """Open stores of active franchisees as built from one read, with their grid."""

    version: int
    built_at: float
    entries: list[_Entry]
    grid: dict[tuple[int, int], list[_Entry]] = field(default_factory=dict)
    # Up to this many stores, comparing them all is cheaper than walking rings of cells.
    compare_all_up_to = 300

    @classmethod
    def build(cls, rows, version: int) -> Snapshot:
        entries: list[_Entry] = []
        grid: dict[tuple[int, int], list[_Entry]] = {}
        for row in rows:
            public = {name: getattr(row, name) for name in PUBLIC_FIELDS}
            lat, lng = math.radians(row.latitude), math.radians(row.longitude)
            entry = _Entry(row.id, lat, lng, math.cos(lat), public)
            entries.append(entry)
            grid.setdefault(_cell(row.latitude, row.longitude), []).append(entry)
        return cls(version, time.monotonic(), entries, grid)

    def nearest(self, lat: float, lng: float, limit: int) -> list[dict]:
        """The ``limit`` nearest stores (each store's public fields plus ``distance_km``)."""
        p, lam = math.radians(lat), math.radians(lng)
        cos_p = math.cos(p)
        if len(self.entries) <= self.compare_all_up_to:
            return _shape(heapq.nsmallest(limit, self._all(p, lam, cos_p)))
        ci, cj = _cell(lat, lng)
        seen: list[tuple[float, int, _Entry]] = []
        for ring in range(MAX_RINGS + 1):
            for cell in _ring_cells(ci, cj, ring):
                for e in self.grid.get(cell, ()):
                    seen.append((_distance(p, lam, cos_p, e), e.id, e))
            if len(seen) >= limit:
                best = heapq.nsmallest(limit, seen)
                if best[-1][0] <= _unseen_bound_km(lat, ring):
                    return _shape(best)
        # Far from every store (or near a pole): compare them all.
        return _shape(heapq.nsmallest(limit, self._all(p, lam, cos_p)))

    def _all(self, p: float, lam: float, cos_p: float) -> list[tuple[float, int, _Entry]]:
        return [(_distance(p, lam, cos_p, e), e.id, e) for e in self.entries]


def _cell(lat: float, lng: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEGREES), math.floor(lng / CELL_DEGREES)


def _ring_cells(ci: int, cj: int, ring: int):
    """The cells exactly ``ring`` steps (Chebyshev) from ``(ci, cj)``."""
    if ring == 0:
        yield ci, cj
        return
    for dj in range(-ring, ring + 1):
        yield ci - ring, cj + dj
        yield ci + ring, cj + dj
    for di in range(-ring + 1, ring):
        yield ci + di, cj - ring
        yield ci + di, cj + ring


def _unseen_bound_km(lat: float, ring: int) -> float:
    """A lower bound on the distance to any store outside the searched square of cells.

    Leaving the square takes at least ``ring`` cells of latitude or of longitude; a degree
    of longitude is narrowest at the square's edge nearest a pole. A 10 % margin covers
    the great circle being shorter than the parallel (it is far less at these distances).
    """
    if ring == 0:
        return 0.0
    edge = min(abs(lat) + (ring + 1) * CELL_DEGREES, 90.0)
    lat_km = ring * CELL_DEGREES * KM_PER_DEGREE
    lng_km = ring * CELL_DEGREES * KM_PER_DEGREE * math.cos(math.radians(edge))
    return 0.9 * min(lat_km, lng_km)


def _distance(p: float, lam: float, cos_p: float, e: _Entry) -> float:
    """Haversine km (the formula of ``assignment.haversine_km``)."""
    return _km(_hav(p, lam, cos_p, e.lat_rad, e.lng_rad, e.cos_lat))


def _shape(found) -> list[dict]:
    return [{**e.public, "distance_km": round(km, 3)} for km, _id, e in found]


class StoreDirectory:
    """One process's current snapshot, rebuilt when the Redis version moves."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        self._snapshot = None

    def current(self, app: Flask) -> Snapshot:
        snap, now = self._snapshot, time.monotonic()
        if snap is not None and now - snap.built_at < MAX_AGE_SECONDS:
            if now - self._checked_at < CHECK_SECONDS:
                return snap
            self._checked_at = now
            if _redis_version(app) == snap.version:
                return snap
        with self._lock:
            if self._snapshot is not snap and self._snapshot is not None:
                return self._snapshot  # another thread rebuilt it meanwhile
            version = _redis_version(app)
            rows = db.session.execute(
                select(*(getattr(Store, name) for name in PUBLIC_FIELDS)).where(open_store_clause())
            ).all()
            self._snapshot = Snapshot.build(rows, version)
            self._checked_at = time.monotonic()
            return self._snapshot


def _redis_version(app: Flask) -> int:
    try:
        return int(get_redis(app).get(VERSION_KEY) or 0)
    except Exception:  # noqa: BLE001 - Redis down: fall back on the age limit
        return -1


def directory(app: Flask | None = None) -> StoreDirectory:
    """This app's directory (made on first use)."""
    app = app or current_app
    found = app.extensions.get("siyu_store_directory")
    if found is None:
        found = app.extensions.setdefault("siyu_store_directory", StoreDirectory())
    return found


def nearest_open_stores(lat: float, lng: float, limit: int) -> list[dict]:
    """The ``limit`` nearest open stores of active franchisees, from the snapshot."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return directory().current(app).nearest(lat, lng, limit)


def _touches_directory(session: Session) -> bool:
    return any(
        isinstance(obj, (Store, Franchisee))
        for obj in (*session.new, *session.dirty, *session.deleted)
    )


@event.listens_for(Session, "before_flush")
def _mark(session: Session, _flush_context, _instances) -> None:
    if _touches_directory(session):
        session.info["siyu_store_directory_changed"] = True


@event.listens_for(Session, "after_commit")
def _bump(session: Session) -> None:
    if not session.info.pop("siyu_store_directory_changed", False) or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    directory(app).invalidate()
    # Redis down: other processes catch up within MAX_AGE_SECONDS
    with contextlib.suppress(Exception):
        get_redis(app).incr(VERSION_KEY)
