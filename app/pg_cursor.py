"""A psycopg cursor whose ``description`` is built only when something reads it.

SQLAlchemy asks for ``cursor.description`` after every statement, but once a compiled
statement's result metadata is cached (every statement after its first run) it only
checks that the description is not ``None``. psycopg builds a ``Column`` per result
column each time it is asked (a name decode and a type lookup each, ~2-3 µs): the
Today page's one statement has 22 columns, a list endpoint's 10-30. ``LazyDescription``
answers ``None``-ness and ``len`` at once and builds the columns, against the result
it was asked about, on first use. The cursor is otherwise psycopg's own; set on each
new PostgreSQL connection by ``lazy_descriptions`` (``app.configure_extensions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import psycopg
from psycopg import Column
from psycopg.pq import ExecStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine

# The statuses psycopg gives a description for even without fields ("SELECT ;").
_ROWS = frozenset({ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK})


class LazyDescription(Sequence):
    """``cursor.description`` of one result: psycopg's ``Column`` list, built on first use."""

    __slots__ = ("_columns", "_count", "_source")

    def __init__(self, result, encoding: str, adapters) -> None:
        # what ``Column`` reads off a cursor, kept for this result (the cursor moves on)
        self._source = SimpleNamespace(pgresult=result, _encoding=encoding, adapters=adapters)
        self._count: int = result.nfields
        self._columns: list[Column] | None = None

    def _built(self) -> list[Column]:
        if self._columns is None:
            self._columns = [Column(self._source, i) for i in range(self._count)]  # type: ignore[arg-type]
        return self._columns

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self._built()[index]

    def __repr__(self) -> str:
        return repr(self._built())


class LazyDescriptionCursor(psycopg.Cursor):
    """psycopg's cursor with a ``LazyDescription`` (see the module docstring)."""

    @property
    def description(self) -> Any:
        result = self.pgresult
        if result and (result.nfields or result.status in _ROWS):
            return LazyDescription(result, self._encoding, self.adapters)
        return None


def lazy_descriptions(engine: Engine) -> None:
    """Give every new connection of ``engine`` (PostgreSQL, psycopg) the lazy cursor."""

    @event.listens_for(engine, "connect")
    def _cursor_factory(dbapi_connection, _record):
        dbapi_connection.cursor_factory = LazyDescriptionCursor
