"""The open-store directory in memory: nearest stores for the mini-program without the database.

``GET /api/v1/mp/stores`` is the mini-program's busiest public read and the store list
changes a few times a day, so each process keeps a snapshot of the open stores of active
franchisees (each store's public fields already shaped for JSON) in a ``StoreGrid`` of
half-degree cells.

Keeping it current:
* a commit that inserts, changes or deletes a ``Store`` or ``Franchisee`` bumps a version
  counter in Redis and drops this process's snapshot at once (SQLAlchemy session events);
* other processes compare their snapshot's version with Redis at most once per
  ``CHECK_SECONDS`` and rebuild when it moved; a snapshot older than ``MAX_AGE_SECONDS`` is
  rebuilt whatever the counter says (a change made by raw SQL is seen within that time).

``nearest_open_stores`` gives exactly what the old widening bounding-box query gave: the
``limit`` nearest by haversine distance, ties by id (``StoreGrid.nearest``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db, get_redis
from franchise.models import Franchisee, Store, open_store_clause
from franchise.services.store_grid import StoreGrid

VERSION_KEY = "siyu:store-directory:version"
CHECK_SECONDS = 1.0
MAX_AGE_SECONDS = 60.0
CELL_DEGREES = 0.5
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


def build_grid(rows) -> StoreGrid:
    """The directory's grid of ``rows`` (each with the ``PUBLIC_FIELDS``), each store's
    public fields as its payload."""
    return StoreGrid(
        CELL_DEGREES,
        (
            (
                row.id,
                {name: getattr(row, name) for name in PUBLIC_FIELDS},
                row.latitude,
                row.longitude,
            )
            for row in rows
        ),
    )


def nearest_in(grid: StoreGrid, lat: float, lng: float, limit: int) -> list[dict]:
    """The ``limit`` nearest stores of ``grid``: public fields plus ``distance_km``."""
    return [
        {**public, "distance_km": round(km, 3)} for km, _id, public in grid.nearest(lat, lng, limit)
    ]


@dataclass(frozen=True)
class _Built:
    """A grid as built from one read, with the Redis version it was read at."""

    version: int
    built_at: float
    grid: StoreGrid


class StoreDirectory:
    """One process's current snapshot, rebuilt when the Redis version moves."""

    def __init__(self) -> None:
        self._snapshot: _Built | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        self._snapshot = None

    def current(self, app: Flask) -> _Built:
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
            self._snapshot = _Built(version, time.monotonic(), build_grid(rows))
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
    grid = directory().current(app).grid
    return nearest_in(grid, lat, lng, limit)


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
