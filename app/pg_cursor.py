"""A psycopg cursor whose ``description`` is built only when something reads it.

SQLAlchemy asks for ``cursor.description`` after every statement, but once a compiled
statement's result metadata is cached (every statement after its first run) it only
checks that the description is not ``None``. psycopg builds a ``Column`` per result
column each time it is asked (a name decode and a type lookup each, ~2-3 µs): the
Today page's one statement has 22 columns, a list endpoint's 10-30. ``LazyDescription``
answers ``None``-ness and ``len`` at once and builds the columns, against the result
it was asked about, on first use. The cursor is otherwise psycopg's own; set on each
new PostgreSQL connection by ``lazy_descriptions`` (``app.configure_extensions``).

The columns' names are decoded with the connection's client encoding, read through
psycopg's public ``Connection.info.encoding`` when the columns are built, not per
statement (reading it costs ~0.7 µs: a libpq parameter lookup each time). What is left
of psycopg's internals is ``Column``'s constructor, which takes a cursor and reads its
``pgresult``, ``adapters`` and private ``_encoding``: the namespace standing in for the
cursor carries those three (``tests/app/test_pg_cursor.py`` holds the columns to
psycopg's own description, so an upgrade that changes it fails there).
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

    __slots__ = ("_adapters", "_columns", "_connection", "_count", "_result")

    def __init__(self, result, connection: psycopg.Connection, adapters) -> None:
        # kept for this result (the cursor moves on)
        self._result, self._connection, self._adapters = result, connection, adapters
        self._count: int = result.nfields
        self._columns: list[Column] | None = None

    def _built(self) -> list[Column]:
        if self._columns is None:
            source = SimpleNamespace(  # what ``Column`` reads off a cursor
                pgresult=self._result,
                _encoding=self._connection.info.encoding,
                adapters=self._adapters,
            )
            self._columns = [Column(source, i) for i in range(self._count)]  # type: ignore[arg-type]
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
            return LazyDescription(result, self.connection, self.adapters)
        return None


def lazy_descriptions(engine: Engine) -> None:
    """Give every new connection of ``engine`` (PostgreSQL, psycopg) the lazy cursor."""

    @event.listens_for(engine, "connect")
    def _cursor_factory(dbapi_connection, _record):
        dbapi_connection.cursor_factory = LazyDescriptionCursor
