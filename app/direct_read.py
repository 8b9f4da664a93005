"""A hot page's reads run straight on psycopg's cursor, compiled and planned once.

SQLAlchemy's Core execution of a statement built once still costs ~50 µs of Python per
execution before and after psycopg's own work (the statement's cache key, the compiled
cache lookup, an execution context, a ``CursorResult`` and its rows): about a quarter of
a signed-in page's CPU, whose two statements (the session's account and the page's one
SELECT) are each the same text every time. ``read_rows`` runs such a statement through
SQLAlchemy the first time on each dialect and keeps what SQLAlchemy did (the SQL text it
sent, the compiled statement's bound values and bind processors, the result's column
processors); later executions send that same text with the same parameters on the
session's connection's psycopg cursor, as SQLAlchemy would, and process the rows the
same way:

- the same SQL text, so psycopg's prepared statement (and its parse cache) is the one
  SQLAlchemy's executions use;
- the engine's ``before_cursor_execute`` / ``after_cursor_execute`` listeners are called
  as for any statement (statement counts, the read-only COMMIT's write check); the
  higher-level ``before_execute`` / ``after_execute`` ones are not (Siyu has none: one
  added later would not see these statements);
- a DBAPI error goes through SQLAlchemy's own handling (``_handle_dbapi_exception``):
  the same exception classes, a lost connection invalidated, 503 as before.

Only for SELECTs on PostgreSQL whose parameters are all bound at execution (no expanding
``IN`` lists, no escaped names); anything else, and SQLite, goes through SQLAlchemy every
time. Rows are tuples (``Row`` on the SQLAlchemy path): read them by position.

Statements sent inside ``unbegun(connection)`` go outside a transaction when the
connection has sent nothing yet in the current one. psycopg opens a transaction with a
``BEGIN`` of its own (a round trip) before the first statement, and a request that only
read ends with a ``COMMIT`` (another): a signed-in page's two reads were four round trips,
a returning customer's login three. Under READ COMMITTED every statement of a transaction
reads its own snapshot anyway, so a plain ``SELECT`` sent alone (psycopg's autocommit, for
that one statement) sees what it would have seen as the transaction's first statement and
takes no lock that would outlive it; one statement that writes is atomic on its own and
commits as it ends (for a caller whose transaction is that one statement: a new customer's
welcome). The connection stays idle, a later statement of the request opens the
transaction as before, and psycopg's commit or rollback of an idle connection sends
nothing. Only where that holds: on a connection whose transactions are READ COMMITTED (the
server's default, asked once per connection, and no other level set on the connection),
and idle; anywhere else (SQLite, a transaction already open) nothing changes.
``read_rows(..., alone=True)`` is a read sent so, when it is a ``SELECT`` that locks
nothing (no ``FOR UPDATE``/``SHARE``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.pq import TransactionStatus
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Executable


@dataclass(frozen=True)
class _Plan:
    """What SQLAlchemy did for one statement on one dialect, to do again without it."""

    statement: Executable  # held, so the key's ids stay this statement's and dialect's
    dialect: Dialect
    sql: str
    construct: Callable[[dict], dict]  # the compiled statement's values for the given ones
    bind_processors: dict[str, Callable[[Any], Any]]
    result_processors: tuple[Callable[[Any], Any] | None, ...] | None  # None: rows as sent


MAX_PLANS = 1000  # beyond it (statements built per call, by mistake) SQLAlchemy runs them
_PLANS: dict[tuple[int, int], _Plan | None] = {}  # None: always through SQLAlchemy


def read_rows(
    connection: Connection, statement: Executable, params: dict, alone: bool = False
) -> Sequence[Any]:
    """Every row of ``statement`` (a SELECT built once) with ``params``, on ``connection``;
    ``alone``: sent outside a transaction (``unbegun``) when it is a SELECT that locks
    nothing (see the module docstring)."""
    if alone and _locks_nothing(statement):
        with unbegun(connection):
            return _read_rows(connection, statement, params)
    return _read_rows(connection, statement, params)


def _locks_nothing(statement: Executable) -> bool:
    return getattr(statement, "is_select", False) and (
        getattr(statement, "_for_update_arg", None) is None
    )


def _read_rows(connection: Connection, statement: Executable, params: dict) -> Sequence[Any]:
    key = (id(statement), id(connection.dialect))
    plan = _PLANS.get(key, False)
    if plan is None or connection.dialect.name != "postgresql" or not connection.in_transaction():
        return connection.execute(statement, params).all()
    if plan is False:
        result = connection.execute(statement, params)
        rows = result.all()
        if len(_PLANS) < MAX_PLANS:  # statements built once: a few dozen per process
            _PLANS[key] = _plan_of(statement, connection.dialect, result)
        return rows
    assert isinstance(plan, _Plan)
    return _run(connection, plan, params)


@contextlib.contextmanager
def unbegun(connection: Connection) -> Iterator[None]:
    """Statements sent on ``connection`` inside the block go outside a transaction when it
    has sent nothing yet in the current one and reads committed (PostgreSQL: psycopg in
    autocommit, no ``BEGIN`` sent); a transaction begins with the next statement after
    it, if any. Anywhere else nothing changes (see the module docstring)."""
    if connection.dialect.name != "postgresql":
        yield
        return
    fairy = connection.connection
    raw: Any = fairy.dbapi_connection
    if (
        raw.autocommit
        or raw.pgconn.transaction_status != TransactionStatus.IDLE
        or raw.isolation_level not in (None, IsolationLevel.READ_COMMITTED)
        or not _reads_committed(connection, fairy.info, raw)
    ):
        yield
        return
    raw.autocommit = True
    try:
        yield
    finally:
        # a lost connection is SQLAlchemy's to drop, with the statement's own error
        with contextlib.suppress(psycopg.Error):
            raw.autocommit = False


def _plan_of(statement: Executable, dialect: Dialect, result) -> _Plan | None:
    context = result.context
    compiled = context.compiled
    metadata: Any = getattr(result, "_metadata", None)
    if (
        compiled is None
        or compiled.isplaintext
        or compiled.positional
        or compiled.escaped_bind_names
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.schema_translate_map
        or context.isinsert
        or context.isupdate
        or context.isdelete
        or getattr(metadata, "_tuplefilter", None) is not None
        or getattr(metadata, "_processors", None) is None
        or context.statement != compiled.string
    ):
        return None
    extracted = context.extracted_parameters
    processors = tuple(metadata._processors)

    def construct(params: dict) -> dict:
        return compiled.construct_params(params, escape_names=False, extracted_parameters=extracted)

    return _Plan(
        statement,
        dialect,
        compiled.string,
        construct,
        dict(compiled._bind_processors),
        processors if any(processors) else None,
    )


READ_COMMITTED_KEY = "siyu_read_committed"  # the connection record's answer, asked once


SHOW_ISOLATION = "SHOW default_transaction_isolation"


def _reads_committed(connection: Connection, info: dict, raw) -> bool:
    """Whether the server's transactions on this connection are READ COMMITTED (asked
    once per connection, alone; a database may set another default). A database error
    goes through SQLAlchemy's handling, as the read's own would (a lost connection is
    dropped and the request answers 503)."""
    answer = info.get(READ_COMMITTED_KEY)
    if answer is None:
        try:
            raw.autocommit = True
            try:
                (level,) = raw.execute(SHOW_ISOLATION).fetchone()
            finally:
                with contextlib.suppress(psycopg.Error):
                    raw.autocommit = False
        except psycopg.Error as exc:
            connection._handle_dbapi_exception(exc, SHOW_ISOLATION, {}, None, None)
        answer = info[READ_COMMITTED_KEY] = level == "read committed"
    return answer


def _run(connection: Connection, plan: _Plan, params: dict) -> Sequence[Any]:
    values = plan.construct(params)
    for name, process in plan.bind_processors.items():
        if name in values:
            values[name] = process(values[name])
    rows = _cursor_rows(connection, plan.sql, values)
    processors = plan.result_processors
    if processors is None:
        return rows
    return [
        tuple(
            value if process is None else process(value)
            for process, value in zip(processors, row, strict=True)
        )
        for row in rows
    ]


def send_sql(connection: Connection, sql: str, params: dict) -> Sequence[Any]:
    """Every row ``sql`` answers with ``params``: SQL text in the driver's ``%(name)s``
    placeholders, built once (a hot write's one statement), as ``exec_driver_sql`` would
    send it. On PostgreSQL inside a transaction it goes straight on psycopg's cursor
    (rows as tuples), with the statement events and SQLAlchemy's error handling as in
    ``read_rows``; otherwise through ``exec_driver_sql``. ``sql`` must answer rows
    (``RETURNING`` or a ``SELECT``)."""
    if connection.dialect.name != "postgresql" or not connection.in_transaction():
        return connection.exec_driver_sql(sql, params).all()
    return _cursor_rows(connection, sql, params)


def _cursor_rows(connection: Connection, sql: str, values: dict) -> Sequence[Any]:
    """``sql`` with ``values`` on the connection's psycopg cursor, as SQLAlchemy would
    send it (its cursor events, its exception classes), every row fetched."""
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    events = connection._has_events or connection.engine._has_events
    try:
        if events:
            connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
        cursor.execute(sql, values)
        if events:
            connection.dispatch.after_cursor_execute(connection, cursor, sql, values, None, False)
        return cursor.fetchall()
    except connection.dialect.loaded_dbapi.Error as exc:
        connection._handle_dbapi_exception(exc, sql, values, cursor, None)
        raise  # not reached: SQLAlchemy raises its own exception for it
    finally:
        cursor.close()
