"""Database helpers shared by every domain: engine tuning, dialect checks, insert-or-ignore
(``insert_ignoring``), row locks, commit-or-rollback (``committing`` around a service's
work), date arithmetic both databases run (``minus_days``), a ping only for connections
that sat idle (``ping_after_idle``), and reading a constraint violation back into the table
and columns it concerns (``describe_violation``, which the error envelope uses to name the
field)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    MetaData,
    Table,
    UniqueConstraint,
    event,
    literal_column,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout, so threads of the embedded app share the file;
    a failed foreign key is traced to its column while the transaction still holds what
    the statement referred to."""

    event.listen(engine, "handle_error", _note_sqlite_foreign_key)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if "memory" not in str(engine.url):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it sat idle ``idle_seconds`` or more.

    ``pool_pre_ping`` pings on every checkout: one more round trip on every request (a
    third of a pay notify's time under load). A connection in steady use has just proved
    itself; one that sat idle may have been cut (a PostgreSQL restart, a proxy's idle
    timeout), so it is pinged, and a dead one is replaced before the request uses it
    (``DisconnectionError``: the pool invalidates it and checks out another). A database
    that dies under steady use fails that request (503) and the pool drops every
    connection of that moment, as with ``pool_pre_ping``.
    """
    import time

    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_connection, record):
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("connection idle and dead; replaced") from exc


def is_postgres(engine: Engine) -> bool:
    """True on PostgreSQL (row locks and SKIP LOCKED available)."""
    return engine.dialect.name == "postgresql"


class minus_days(FunctionElement):
    """``minus_days(moment, days)``: the timestamp ``days`` whole days (an integer SQL
    expression, a column say) before ``moment``, in SQL, on PostgreSQL and SQLite alike.

    Only for comparing with a stored timestamp: on SQLite the value is ``datetime()``'s
    text, which orders correctly against the stored ``YYYY-MM-DD HH:MM:SS.ffffff``.
    """

    inherit_cache = True
    name = "minus_days"


@compiles(minus_days)
def _minus_days(element, compiler, **kw) -> str:
    moment, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({moment} - {days} * INTERVAL '1 day')"


@compiles(minus_days, "sqlite")
def _minus_days_sqlite(element, compiler, **kw) -> str:
    moment, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"datetime({moment}, '-' || {days} || ' days')"


def insert_ignoring(engine: Engine, model, index: str):
    """``INSERT … ON CONFLICT (index) DO NOTHING`` into ``model``'s table, for PostgreSQL
    and SQLite; the values are passed at execution, so the statement compiles once and is
    cached. On the Table, not the mapped class: plain core, no ORM bulk-insert machinery."""
    if is_postgres(engine):
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    return dialect_insert(model.__table__).on_conflict_do_nothing(index_elements=[index])


def lock_row(session, model, pk) -> bool:
    """Hold the row ``pk`` of ``model`` until the transaction ends, on both databases;
    False when there is no such row.

    A check that reads and then writes is atomic only if the read happens under a lock
    taken first. PostgreSQL: ``SELECT … FOR UPDATE``. SQLite ignores ``FOR UPDATE`` and
    runs a ``SELECT`` outside any transaction (pysqlite begins one at the first write),
    so there the lock is a write that changes nothing (every column with an ``onupdate``
    keeps its value): it begins the transaction under the database's write lock, and
    every read after it sees the latest commit and holds until the commit. Prefer one
    conditional ``UPDATE … WHERE <check>`` where the check fits in a row; this is for
    checks that count other rows.
    """
    table = model.__table__
    (key,) = table.primary_key.columns
    if is_postgres(session.get_bind()):
        stmt = select(key).where(key == pk).with_for_update()
        return session.execute(stmt).first() is not None
    unchanged = {c.name: c for c in table.columns if c.onupdate is not None}
    touch = update(table).where(key == pk).values({key.name: key, **unchanged})
    return session.execute(touch).rowcount == 1


@contextmanager
def committing(session) -> Iterator[None]:
    """The work of the ``with`` body committed at its end; on any failure, in the body or
    in the commit, ``session`` rolled back and the error re-raised (a service that owns its
    transaction leaves no half-done work behind)."""
    try:
        yield
        session.commit()
    except Exception:
        session.rollback()
        raise


def values_by_key(session, key, value, keys) -> dict:
    """``{key: value}`` for the rows whose ``key`` column is one of ``keys`` (one SELECT),
    e.g. the names of a page's groups by chat id."""
    return dict(session.execute(select(key, value).where(key.in_(keys))).all())


def commit_or_rollback(session) -> None:
    """Commit ``session``; on any failure roll it back and re-raise (``committing`` for
    work done since the last commit, when that work may fail too)."""
    with committing(session):
        pass


LIKE_ESCAPE = "/"


def like_escaped(text: str) -> str:
    """``text`` with LIKE's wildcards escaped by ``LIKE_ESCAPE``, as SQLAlchemy's
    ``contains(text, autoescape=True)`` escapes it: ``column.contains(like_escaped(text),
    escape=LIKE_ESCAPE)`` is that filter, and takes a ``bindparam`` in a statement built
    once (``autoescape`` wants the string itself)."""
    doubled = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
    return doubled.replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def fixed_values(column, values) -> list:
    """``values``, the code's own constants (a status list), written into the SQL as
    constants of ``column``'s type, for ``column.in_(...)`` over a fixed list.

    Not parameters: PostgreSQL plans a prepared statement generically after five runs, and
    a generic plan cannot see parameter values, so ``store_id = $1 AND status IN ($2, …)``
    scans every order of the store while ``status IN ('shipped', …)`` is an index range on
    ``(store_id, status)``. A plain list would also be an expanding parameter, re-rendered
    into the SQL on every execution. Only plain words are accepted (never input)."""
    return [literal_column(_constant(value), column.type) for value in values]


_WORD = re.compile(r"[A-Za-z0-9_]+")


def _constant(value) -> str:
    """``value`` as an SQL constant: an integer, or a plain word quoted."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and _WORD.fullmatch(value):
        return f"'{value}'"
    raise ValueError(f"not a fixed value: {value!r}")


# The longest statement whose parse psycopg keeps (its own default is 4,096 characters).
PARSE_CACHE_CHARS = 16384
PARSE_CACHE_PARAMS = 1000


def widen_parse_cache(chars: int = PARSE_CACHE_CHARS, params: int = PARSE_CACHE_PARAMS) -> None:
    """Let psycopg keep the parse of statements up to ``chars`` characters long and of up
    to ``params`` parameters.

    psycopg turns a statement's ``%(name)s`` placeholders into ``$n`` ones with a regular
    expression and keeps the result (an LRU of 128) only for statements of at most 4,096
    characters and 50 parameters: a longer one is split again on every execution. The
    Today page's one statement of every tab's figures is ~5,000 characters; its parse
    costs ~0.1 ms, a round trip of its own (the alternative) more. A new customer's
    welcome (``franchise.services.welcome_pg``) is one statement of ~70 named
    parameters, re-split a tenth of a share-code login's CPU; order create's one
    statement (``order_writes.placed_sql``: the order's, each line's and snapshot's, the
    event's and the fulfilment's columns) has ~80 parameters for one line; its text is
    the same for every order of that many lines, so it was split again for nothing on
    every order (~0.3 ms). psycopg's limits guard against statements generated with
    ever-changing text; Siyu's are built once per shape. The limits are module
    constants that psycopg reads at each execution; they are only ever raised here.
    """
    from psycopg import _queries

    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", chars) < chars:
        _queries.MAX_CACHED_STATEMENT_LENGTH = chars
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", params) < params:
        _queries.MAX_CACHED_STATEMENT_PARAMS = params


def keep_prepared_statements(app) -> None:
    """End a request whose transaction only read with COMMIT instead of ROLLBACK (PostgreSQL).

    psycopg prepares a statement the fifth time a connection runs it, and forgets every
    prepared statement on ROLLBACK (it also sends ``DEALLOCATE ALL``), because a
    rolled-back transaction may have dropped what they refer to. Flask-SQLAlchemy ends
    each request by closing the session, which rolls back, so a read-only page was
    planned afresh on every request. For a transaction that ran nothing but ``SELECT``
    statements and holds no unflushed changes, COMMIT and ROLLBACK mean the same, so the
    teardown commits it and the prepared statements stay. A transaction that wrote
    anything (ORM flush or a Core ``UPDATE``/``INSERT``/``DELETE``), and every request
    that raised, is still rolled back by the usual teardown.
    """
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    if not is_postgres(engine):
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn, _cursor, statement, _params, _context, _many):
        if statement.lstrip()[:6].upper() != "SELECT":
            conn.info["siyu_wrote"] = True

    @event.listens_for(engine, "begin")
    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _transaction_ended(conn):
        conn.info.pop("siyu_wrote", None)

    @app.teardown_appcontext
    def _commit_reads(exc):  # runs before Flask-SQLAlchemy's (teardowns run in reverse)
        if exc is not None or not db.session.registry.has():
            return
        session = db.session()
        if not session.in_transaction():
            return
        if session.new or session.dirty or session.deleted:
            return
        connection = session.connection()
        if connection.info.get("siyu_wrote"):
            return
        # The connection's own COMMIT, not the session's: for a transaction that only
        # read, the session's commit (its before/after commit listeners, the flush check,
        # expiring what was read, its state machine: ~0.1 ms a request) has nothing to
        # do. The session is closed next: its transaction, no longer active, is not
        # rolled back, its objects stay detached but loaded, and the connection goes back
        # to the pool idle (psycopg's reset ROLLBACK sends nothing then).
        with contextlib.suppress(Exception):  # the usual teardown rolls back and closes
            connection.commit()


# --- constraint violations -------------------------------------------------------------

UNIQUE, FOREIGN_KEY, IN_USE, NOT_NULL, CHECK, OTHER = (
    "unique",
    "foreign_key",
    "in_use",  # a row still referenced by another was deleted (or its key changed)
    "not_null",
    "check",
    "other",
)
_SQLSTATES = {"23505": UNIQUE, "23503": FOREIGN_KEY, "23502": NOT_NULL, "23514": CHECK}
_SQLITE_MESSAGES = (
    (re.compile(r"UNIQUE constraint failed: (.+)"), UNIQUE),
    (re.compile(r"NOT NULL constraint failed: (.+)"), NOT_NULL),
    (re.compile(r"CHECK constraint failed: (.+)"), CHECK),
    (re.compile(r"FOREIGN KEY constraint failed()"), FOREIGN_KEY),
)
_PG_KEY = re.compile(r"Key \(([^)]*)\)=")
_STATEMENT = re.compile(r'\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class Violation:
    """What an ``IntegrityError`` broke: the kind of rule, the table and its columns.

    ``columns`` is empty when the database did not say and it could not be worked out.
    """

    kind: str
    table: str | None = None
    columns: tuple[str, ...] = ()
    constraint: str | None = None


def _check_columns(table: Table, sqltext) -> tuple[str, ...]:
    text_ = str(sqltext)
    return tuple(c.name for c in table.columns if re.search(rf"\b{re.escape(c.name)}\b", text_))


def constraint_index(metadata: MetaData) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """``{constraint or unique index name: (table, kind, columns)}`` from the models.

    The naming convention (``app.extensions.NAMING_CONVENTION``) gives every constraint a
    stable name the database reports back (``fk_content_posts_coupon_template_id_…``),
    so the name leads to the columns without parsing the database's wording.
    """
    cached = metadata.info.get("siyu_constraint_index")
    if cached is not None:
        return cached
    index: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            name = str(constraint.name) if constraint.name else None
            if not name:
                continue
            if isinstance(constraint, CheckConstraint):
                index[name] = (table.name, CHECK, _check_columns(table, constraint.sqltext))
            elif isinstance(constraint, ForeignKeyConstraint):
                index[name] = (table.name, FOREIGN_KEY, tuple(constraint.column_keys))
            elif isinstance(constraint, UniqueConstraint):
                index[name] = (table.name, UNIQUE, tuple(c.name for c in constraint.columns))
        for ix in table.indexes:
            if ix.unique and ix.name:
                index[str(ix.name)] = (table.name, UNIQUE, tuple(c.name for c in ix.columns))
    metadata.info["siyu_constraint_index"] = index
    return index


def describe_violation(exc: IntegrityError, metadata: MetaData) -> Violation:
    """Read an ``IntegrityError`` on PostgreSQL (SQLSTATE, constraint name, detail) or
    SQLite (its message) into a ``Violation``.

    SQLite names no column for a foreign key: the engine's ``handle_error`` hook looked
    the failed statement's references up when it failed (``_note_sqlite_foreign_key``).
    Never raises: what cannot be read stays empty.
    """
    try:
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None)
        if sqlstate:
            return _describe_postgres(orig, sqlstate, metadata)
        return _describe_sqlite(exc, str(orig), metadata)
    except Exception:  # noqa: BLE001 - a description is a nicety, the error stands
        return Violation(OTHER)


def _describe_postgres(orig, sqlstate: str, metadata: MetaData) -> Violation:
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    table = getattr(diag, "table_name", None)
    detail = getattr(diag, "message_detail", None) or ""
    kind = _SQLSTATES.get(sqlstate, OTHER)
    if kind == FOREIGN_KEY and "still referenced" in detail:
        return Violation(IN_USE, table, (), name)
    known = constraint_index(metadata).get(name or "")
    if known and known[0] == (table or known[0]):
        return Violation(kind, known[0], known[2], name)
    found = _PG_KEY.search(detail)
    if found:
        columns = tuple(c.strip().strip('"') for c in found.group(1).split(","))
        return Violation(kind, table, columns, name)
    column = getattr(diag, "column_name", None)
    return Violation(kind, table, (column,) if column else (), name)


def _describe_sqlite(exc: IntegrityError, message: str, metadata) -> Violation:
    for pattern, kind in _SQLITE_MESSAGES:
        found = pattern.search(message)
        if not found:
            continue
        if kind == FOREIGN_KEY:
            noted = getattr(exc.orig, "siyu_violation", None)  # see _note_sqlite_foreign_key
            return noted or sqlite_foreign_key(exc.statement, exc.params, metadata)
        named = found.group(1).strip()
        if kind == CHECK:
            known = constraint_index(metadata).get(named)
            if known:
                return Violation(CHECK, known[0], known[2], named)
            return Violation(CHECK)
        pairs = [part.strip().split(".", 1) for part in named.split(",")]
        table = pairs[0][0] if len(pairs[0]) == 2 else None
        return Violation(kind, table, tuple(p[-1] for p in pairs))
    return Violation(OTHER)


def _statement_values(statement: str, params) -> tuple[str | None, str, dict[str, list]]:
    """``(table, verb, {column: [values]})`` of an INSERT / UPDATE as SQLAlchemy renders
    them for SQLite (``?`` placeholders, positional parameters)."""
    found = _STATEMENT.match(statement or "")
    if not found:
        return None, "", {}
    verb, table = found.group(1).upper(), found.group(2)
    rows = params if isinstance(params, list) else [params]
    rows = [tuple(r) for r in rows if isinstance(r, tuple | list)]
    if verb == "INSERT INTO":
        head = re.search(r"\(([^)]*)\)\s*VALUES", statement, re.IGNORECASE)
        if not head:
            return table, verb, {}
        columns = [c.strip().strip('"') for c in head.group(1).split(",")]
        width = len(columns)
        flat = [v for row in rows for v in row]  # several rows in one statement, too
        chunks = [flat[i : i + width] for i in range(0, len(flat) - width + 1, width)]
    elif verb == "UPDATE":
        head = re.search(r"\bSET\s+(.*?)\s+WHERE\b", statement, re.IGNORECASE | re.DOTALL)
        if not head:
            return table, verb, {}
        columns = [part.split("=")[0].strip().strip('"') for part in head.group(1).split(",")]
        chunks = [list(row[: len(columns)]) for row in rows]
    else:
        return table, verb, {}
    values: dict[str, list] = {c: [] for c in columns}
    for chunk in chunks:
        for column, value in zip(columns, chunk, strict=False):
            values[column].append(value)
    return table, verb, values


def sqlite_foreign_key(
    statement: str | None, params, metadata: MetaData, present=None
) -> Violation:
    """Which foreign key of a failed INSERT / UPDATE points at no row (SQLite names none).

    ``present(column, values)`` returns which of ``values`` the referenced ``column``
    holds; without it the column is named only when the statement sets one reference.
    """
    table_name, verb, values = _statement_values(statement or "", params)
    if verb == "DELETE FROM":
        return Violation(IN_USE, table_name)
    table = metadata.tables.get(table_name or "")
    if table is None:
        return Violation(FOREIGN_KEY, table_name)
    if verb == "UPDATE" and "id" in values:
        return Violation(IN_USE, table_name)  # a referenced key changed
    candidates = [
        (fk.parent.name, fk.column)
        for fk in table.foreign_keys
        if any(v is not None for v in values.get(fk.parent.name, ()))
    ]
    if present is not None:
        for column, target in candidates:
            wanted = {v for v in values[column] if v is not None}
            if wanted - set(present(target, wanted)):
                return Violation(FOREIGN_KEY, table_name, (column,))
    if len(candidates) == 1:
        return Violation(FOREIGN_KEY, table_name, (candidates[0][0],))
    return Violation(FOREIGN_KEY, table_name)


def _note_sqlite_foreign_key(context) -> None:
    """``handle_error`` on SQLite: find the failing reference while the transaction still
    holds the rows written before the failed statement (a rollback would lose them, and
    a reference to a row made in the same transaction would look missing), and keep the
    answer on the DBAPI exception for ``describe_violation``."""
    orig = context.original_exception
    if "FOREIGN KEY constraint failed" not in str(orig) or context.connection is None:
        return
    from app.extensions import db

    cursor = context.connection.connection.dbapi_connection.cursor()

    def present(target, wanted):
        column, marks = f'"{target.name}"', ", ".join("?" * len(wanted))  # names: the models'
        sql = f'SELECT {column} FROM "{target.table.name}" WHERE {column} IN ({marks})'
        return {row[0] for row in cursor.execute(sql, tuple(wanted)).fetchall()}

    try:
        orig.siyu_violation = sqlite_foreign_key(
            context.statement, context.parameters, db.metadata, present
        )
    except Exception:  # noqa: BLE001, S110 - the error stands; only its description is lost
        pass
    finally:
        cursor.close()
