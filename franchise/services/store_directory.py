"""The open-store directory in memory: nearest stores for the mini-program without the database.

``GET /api/v1/mp/stores`` is the mini-program's busiest public read and the store list
changes a few times a day, so each process keeps a snapshot of the open stores of active
franchisees (each store's public fields already shaped for JSON) in a ``StoreGrid`` of
half-degree cells.

Keeping it current is ``app.snapshots``' (``STORE_DIRECTORY`` watches ``Store`` and
``Franchisee``): a commit that touches them drops this process's snapshot at once and bumps
a version counter in Redis; other processes compare it at most once per ``CHECK_SECONDS``
and rebuild when it moved; a snapshot older than ``MAX_AGE_SECONDS`` is rebuilt whatever
the counter says (a change made by raw SQL is seen within that time).

``nearest_open_stores`` gives exactly what the old widening bounding-box query gave: the
``limit`` nearest by haversine distance, ties by id (``StoreGrid.nearest``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.snapshots import Snapshot, SnapshotKind
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
class DirectoryView:
    """The directory as built from one read: the open stores' grid."""

    grid: StoreGrid


def _build() -> DirectoryView:
    rows = db.session.execute(
        select(*(getattr(Store, name) for name in PUBLIC_FIELDS)).where(open_store_clause())
    ).all()
    return DirectoryView(build_grid(rows))


STORE_DIRECTORY = SnapshotKind(
    "store-directory",
    _build,
    (Store, Franchisee),
    version_key=VERSION_KEY,
    timing=lambda: (CHECK_SECONDS, MAX_AGE_SECONDS),  # read here: tests change them
)


def directory(app: Flask | None = None) -> Snapshot[DirectoryView]:
    """This app's directory (made on first use)."""
    return STORE_DIRECTORY.of(app)


def nearest_open_stores(lat: float, lng: float, limit: int) -> list[dict]:
    """The ``limit`` nearest open stores of active franchisees, from the snapshot."""
    return nearest_in(STORE_DIRECTORY.value().grid, lat, lng, limit)
