"""``StoreGrid``: open stores in a grid of cells, for every nearest-store lookup in memory.

One structure serves both in-memory readers of store positions: the bulk assignment's
``MemoryView`` (``assignment_snapshot``: the one nearest store within the assignment
radius, cells about one radius wide) and the mini-program's store directory
(``store_directory``: the ``limit`` nearest stores anywhere, half-degree cells). The
geometry every path shares lives here too: the haversine term of two points and its
distance in km (``LiveView`` compares the same numbers by query).

Each store is a tuple ``(id, payload, lat_rad, lng_rad, cos_lat)``: the payload is what
the caller needs back (the franchisee id for assignment, the public fields for the
directory). Ties go to the lowest store id.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from typing import Any

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32
# Rings searched by ``nearest`` before comparing every store (remote places).
MAX_RINGS = 8

GridStore = tuple[int, Any, float, float, float]


def haversine_term(p1: float, l1: float, c1: float, p2: float, l2: float, c2: float) -> float:
    """The haversine term of two points in radians (with their latitudes' cosines)."""
    return math.sin((p2 - p1) / 2) ** 2 + c1 * c2 * math.sin((l2 - l1) / 2) ** 2


def term_km(a: float) -> float:
    """The great-circle distance in km of a haversine term."""
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = haversine_term(p1, math.radians(lng1), math.cos(p1), p2, math.radians(lng2), math.cos(p2))
    return term_km(a)


class StoreGrid:
    """Stores bucketed by ``(floor(lat / cell), floor(lng / cell))``."""

    # Up to this many stores, ``nearest`` compares them all rather than walking rings.
    compare_all_up_to = 300

    def __init__(self, cell_degrees: float, stores: Iterable[tuple[int, Any, float, float]]):
        """``stores``: ``(id, payload, latitude, longitude)`` in degrees."""
        self.cell = cell_degrees
        self.stores: list[GridStore] = []
        self.cells: dict[tuple[int, int], list[GridStore]] = {}
        for sid, payload, lat, lng in stores:
            p = math.radians(lat)
            store = (sid, payload, p, math.radians(lng), math.cos(p))
            self.stores.append(store)
            self.cells.setdefault(self.cell_of(lat, lng), []).append(store)
        # within: the stores of the cells a radius reaches, per (cell, rows, columns)
        self._reach: dict[tuple[int, int, int, int], tuple[GridStore, ...]] = {}

    def cell_of(self, lat: float, lng: float) -> tuple[int, int]:
        return math.floor(lat / self.cell), math.floor(lng / self.cell)

    def within(self, radius_km: float) -> Callable[[float, float], tuple[int, Any, float] | None]:
        """A function ``(lat, lng) -> (id, payload, km)`` of the nearest store within
        ``radius_km``, or None (the bulk assignment's rule 3, called once per customer).

        It reads the cells the radius can reach (cached per cell: customers cluster) and
        compares haversine terms, not km; ties go to the lowest id.
        """
        cell, cells, reach = self.cell, self.cells, self._reach
        sin, radians, cos, floor, ceil = math.sin, math.radians, math.cos, math.floor, math.ceil
        di = ceil(radius_km / KM_PER_DEGREE / cell)
        radius_a = sin(radius_km / (2 * EARTH_RADIUS_KM)) ** 2

        def nearest_within(lat: float, lng: float) -> tuple[int, Any, float] | None:
            p1, l1 = radians(lat), radians(lng)
            c1 = cos(p1)
            dj = ceil(radius_km / (KM_PER_DEGREE * max(c1, 0.01)) / cell)
            ci, cj = floor(lat / cell), floor(lng / cell)
            key = (ci, cj, di, dj)
            stores = reach.get(key)
            if stores is None:
                stores = reach[key] = tuple(
                    store
                    for i in range(ci - di, ci + di + 1)
                    for j in range(cj - dj, cj + dj + 1)
                    for store in cells.get((i, j), ())
                )
            best, best_a = None, radius_a
            for store in stores:
                a = sin((store[2] - p1) / 2) ** 2 + c1 * store[4] * sin((store[3] - l1) / 2) ** 2
                if a < best_a or (a == best_a and (best is None or store[0] < best[0])):
                    best, best_a = store, a
            return None if best is None else (best[0], best[1], term_km(best_a))

        return nearest_within

    def nearest(self, lat: float, lng: float, limit: int) -> list[tuple[float, int, Any]]:
        """The ``limit`` nearest stores anywhere as ``(km, id, payload)``, nearest first:
        rings of cells outwards until no unseen store can be nearer, else every store."""
        p, lam = math.radians(lat), math.radians(lng)
        cos_p = math.cos(p)
        if len(self.stores) > self.compare_all_up_to:
            ci, cj = self.cell_of(lat, lng)
            cells, seen = self.cells, []
            for ring in range(MAX_RINGS + 1):
                stores = [s for c in _ring_cells(ci, cj, ring) for s in cells.get(c, ())]
                seen += _distances(p, lam, cos_p, stores)
                if len(seen) >= limit:
                    best = heapq.nsmallest(limit, seen)
                    if best[-1][0] <= self._unseen_bound_km(lat, ring):
                        return best
        # Few stores, or far from every store (or near a pole): compare them all.
        return heapq.nsmallest(limit, _distances(p, lam, cos_p, self.stores))

    def _unseen_bound_km(self, lat: float, ring: int) -> float:
        """A lower bound on the distance to any store outside the searched square of cells.

        Leaving the square takes at least ``ring`` cells of latitude or of longitude; a
        degree of longitude is narrowest at the square's edge nearest a pole. A 10 % margin
        covers the great circle being shorter than the parallel (far less at these
        distances).
        """
        if ring == 0:
            return 0.0
        edge = min(abs(lat) + (ring + 1) * self.cell, 90.0)
        lat_km = ring * self.cell * KM_PER_DEGREE
        lng_km = ring * self.cell * KM_PER_DEGREE * math.cos(math.radians(edge))
        return 0.9 * min(lat_km, lng_km)


def _distances(p: float, lam: float, cos_p: float, stores) -> list[tuple[float, int, Any]]:
    """``(km, id, payload)`` per store: ``term_km(haversine_term(...))`` written out (the
    same operations in the same order, so exactly ``haversine_km``'s numbers)."""
    sin, asin, sqrt, diameter = math.sin, math.asin, math.sqrt, 2 * EARTH_RADIUS_KM
    return [
        (
            diameter
            * asin(
                min(1.0, sqrt(sin((s[2] - p) / 2) ** 2 + cos_p * s[4] * sin((s[3] - lam) / 2) ** 2))
            ),
            s[0],
            s[1],
        )
        for s in stores
    ]


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
