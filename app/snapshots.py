"""In-process snapshots of rarely-changing rows, kept honest by a Redis version counter.

A read that depends only on catalogue-like rows (the open stores, the product list) can be
answered from memory, built once and shared by the process's threads. A ``SnapshotKind``
names the models it is built from; this module keeps every kind current the same way:

* a commit that inserts, changes or deletes a row of a watched model (an ORM object in
  the session, a bulk ``insert`` / ``update`` / ``delete`` of its table run through the
  session, or SQL text whose writer names the tables: ``tables_written``) drops this
  process's snapshot at once and bumps the kind's version counter in Redis (SQLAlchemy
  session events);
* other processes compare their snapshot's version with Redis at most once per
  ``check_seconds`` and rebuild when it moved; a snapshot older than ``max_age_seconds``
  is rebuilt whatever the counter says (a change made by raw SQL, or while Redis was
  down, is seen within that time);
* a snapshot built while a commit of this process dropped the previous one answers the
  request that built it but is not kept: the next request builds again.

A kind built from some rows of a table (a few keys of ``franchise_settings``) says which
with ``holds``: an ORM write of a row it does not hold leaves it in place; a bulk
statement or SQL text on the table, whose rows are not known, drops it all the same.

``kind.value()`` is the current value; ``kind.of(app).invalidate()`` drops it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import Flask, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from app.context import app_now
from app.extensions import get_redis

T = TypeVar("T")
CHECK_SECONDS = 1.0
MAX_AGE_SECONDS = 60.0
EXTENSION = "siyu_snapshots"  # app.extensions key: {kind name: Snapshot}
_CHANGED = "siyu_snapshots_changed"  # session.info key: names of the kinds touched
_KINDS: dict[str, SnapshotKind] = {}


def default_timing() -> tuple[float, float]:
    return CHECK_SECONDS, MAX_AGE_SECONDS


class SnapshotKind(Generic[T]):
    """What a snapshot is built from: ``build()`` (run inside an app context, on the
    request's session) over the rows of ``watched`` models; ``timing()`` gives the
    version-check interval and the age limit in seconds (read on every use, so a module
    may keep them as constants a test can change); ``holds(row)``, when given, says
    whether the value is built from that ORM object of a watched model (else every row
    of them counts)."""

    def __init__(
        self,
        name: str,
        build: Callable[[], T],
        watched: tuple[type, ...],
        *,
        version_key: str | None = None,
        timing: Callable[[], tuple[float, float]] = default_timing,
        holds: Callable[[Any], bool] | None = None,
    ) -> None:
        self.name = name
        self.build = build
        self.watched = watched
        self.holds = holds
        self.tables = frozenset(model.__table__ for model in watched)  # type: ignore[attr-defined]
        self.version_key = version_key or f"siyu:{name}:version"
        self.timing = timing
        _KINDS[name] = self

    def of(self, app: Flask | None = None) -> Snapshot[T]:
        """This app's snapshot of the kind (made on first use)."""
        app = app or app_now()
        held = app.extensions.setdefault(EXTENSION, {})
        found = held.get(self.name)
        if found is None:
            found = held.setdefault(self.name, Snapshot(self))
        return found

    def value(self, app: Flask | None = None) -> T:
        """The current value (built or rebuilt when needed)."""
        app = app or app_now()
        return self.of(app).current(app)

    def touched_by(self, row: object) -> bool:
        """Whether writing ORM object ``row`` changes what the kind is built from."""
        return isinstance(row, self.watched) and (self.holds is None or self.holds(row))


@dataclass(frozen=True)
class _Built(Generic[T]):
    """A value as built from one read, with the Redis version it was read at."""

    version: int
    built_at: float
    value: T


class Snapshot(Generic[T]):
    """One process's current value of a kind, rebuilt when the Redis version moves."""

    def __init__(self, kind: SnapshotKind[T]) -> None:
        self.kind = kind
        self._built: _Built[T] | None = None
        self._checked_at = 0.0
        self._generation = 0  # moves on every invalidate: a build racing a commit is not kept
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        self._generation += 1
        self._built = None

    def current(self, app: Flask) -> T:
        built, now = self._built, time.monotonic()
        check_seconds, max_age = self.kind.timing()
        if built is not None and now - built.built_at < max_age:
            if now - self._checked_at < check_seconds:
                return built.value
            self._checked_at = now
            if self._redis_version(app) == built.version:
                return built.value
        with self._lock:
            if self._built is not built and self._built is not None:
                return self._built.value  # another thread rebuilt it meanwhile
            generation = self._generation
            version = self._redis_version(app)
            fresh = _Built(version, time.monotonic(), self.kind.build())
            if generation == self._generation:
                self._built, self._checked_at = fresh, time.monotonic()
            return fresh.value

    def _redis_version(self, app: Flask) -> int:
        try:
            return int(get_redis(app).get(self.kind.version_key) or 0)
        except Exception:  # noqa: BLE001 - Redis down: fall back on the age limit
            return -1


def _mark(session: Session, names) -> None:
    session.info.setdefault(_CHANGED, set()).update(names)


@event.listens_for(Session, "before_flush")
def _objects_touched(session: Session, _flush_context, _instances) -> None:
    objects = (*session.new, *session.dirty, *session.deleted)
    if objects:
        _mark(
            session,
            [kind.name for kind in _KINDS.values() if any(map(kind.touched_by, objects))],
        )


def tables_written(session: Session, *tables) -> None:
    """Note that ``session``'s transaction writes ``tables`` by a statement the session's
    events cannot see (SQL text, or a statement sent on its connection): the kinds built
    from them are dropped and bumped at its commit, as for an ORM write."""
    _mark(session, [kind.name for kind in _KINDS.values() if kind.tables.intersection(tables)])


@event.listens_for(Session, "do_orm_execute")
def _bulk_touched(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    tables_written(state.session, getattr(state.statement, "table", None))


@event.listens_for(Session, "after_commit")
def _bump(session: Session) -> None:
    names = session.info.pop(_CHANGED, None)
    if not names or not has_app_context():
        return
    app = app_now()
    for name in names:
        kind = _KINDS[name]
        kind.of(app).invalidate()
        # Redis down: other processes catch up within the age limit
        with contextlib.suppress(Exception):
            get_redis(app).incr(kind.version_key)
