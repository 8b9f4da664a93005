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

``unbegun`` / ``read_rows_unbegun`` send statements before the connection's transaction
has begun on the server outside it (no ``BEGIN``): a request whose one statement is a
read (a returning customer's login) is one round trip instead of three, and a request
whose transaction is one statement (a new customer's welcome) sends no ``BEGIN`` or
``COMMIT`` around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

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


def read_rows(connection: Connection, statement: Executable, params: dict) -> Sequence[Any]:
    """Every row of ``statement`` (a SELECT built once) with ``params``, on ``connection``."""
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


@contextmanager
def unbegun(connection: Connection) -> Iterator[None]:
    """Statements sent on ``connection`` inside the block go outside a transaction when it
    has not begun one on the server yet (PostgreSQL: psycopg in autocommit, no ``BEGIN``
    sent); a transaction begins with the next statement after it, if any. Under READ
    COMMITTED a read sees the same rows inside a transaction or outside one (each
    statement takes its own snapshot) and keeps no row lock; one statement that writes is
    atomic on its own and commits as it ends (for a caller whose transaction is that one
    statement: the session's commit after it finds the connection idle and sends
    nothing). Anywhere else (SQLite, a transaction already open) nothing changes."""
    dbapi_connection: Any = (
        connection.connection.dbapi_connection if connection.dialect.name == "postgresql" else None
    )
    if (
        dbapi_connection is None
        or dbapi_connection.autocommit
        or dbapi_connection.info.transaction_status != TransactionStatus.IDLE
    ):
        yield
        return
    dbapi_connection.autocommit = True
    try:
        yield
    finally:
        # idle again unless the connection broke (SQLAlchemy then discards it)
        if dbapi_connection.info.transaction_status == TransactionStatus.IDLE:
            dbapi_connection.autocommit = False


def read_rows_unbegun(connection: Connection, statement: Executable, params: dict) -> Sequence[Any]:
    """``read_rows`` outside a transaction when none has begun on the server (``unbegun``):
    a caller that sends nothing else (a returning customer's login) sends no ``BEGIN``
    and commits nothing on the server."""
    with unbegun(connection):
        return read_rows(connection, statement, params)


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


def _run(connection: Connection, plan: _Plan, params: dict) -> Sequence[Any]:
    values = plan.construct(params)
    for name, process in plan.bind_processors.items():
        if name in values:
            values[name] = process(values[name])
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    events = connection._has_events or connection.engine._has_events
    try:
        if events:
            connection.dispatch.before_cursor_execute(
                connection, cursor, plan.sql, values, None, False
            )
        cursor.execute(plan.sql, values)
        if events:
            connection.dispatch.after_cursor_execute(
                connection, cursor, plan.sql, values, None, False
            )
        rows = cursor.fetchall()
    except connection.dialect.loaded_dbapi.Error as exc:
        connection._handle_dbapi_exception(exc, plan.sql, values, cursor, None)
    finally:
        cursor.close()
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
