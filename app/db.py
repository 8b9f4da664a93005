"""Database helpers shared by every domain: engine tuning and dialect checks."""

from __future__ import annotations

from sqlalchemy import event
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
