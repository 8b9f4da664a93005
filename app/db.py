"""Database helpers shared by every domain: engine tuning and dialect checks."""

from __future__ import annotations

from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout, so threads of the embedded app share the file."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if "memory" not in str(engine.url):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def is_postgres(engine: Engine) -> bool:
    """True on PostgreSQL (row locks and SKIP LOCKED available)."""
    return engine.dialect.name == "postgresql"


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
    stmt = update(table).where(key == pk).values({key.name: key, **unchanged})
    return session.execute(stmt).rowcount == 1


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
        # The session is closed next, which leaves its objects detached but loaded (what
        # a ROLLBACK inside close does); committing must not expire them either.
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        except Exception:  # noqa: BLE001 - the usual teardown rolls back and closes
            session.rollback()
        finally:
            session.expire_on_commit = expire
