"""Emptying a database down to the models' tables: what the test session and the benchmarks
that build their own data start from (``fresh_tables``). Never called by the app itself."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.extensions import db


def fresh_tables(engine: Engine, *, create: bool = True) -> None:
    """Throw away whatever ``engine``'s database holds and (with ``create``) create the
    models' tables.

    On PostgreSQL the current schema is dropped with CASCADE and made again, owned by the
    connecting user, so a database left by an older schema (a table the models no longer
    know with a foreign key into theirs, a view, an old enum type) cannot stop the run the
    way ``drop_all`` does (``DependentObjectsStillExist``: it drops only what the models
    name, in their order). One statement, and no slower than ``drop_all``'s one per table.
    On SQLite ``drop_all`` does (a test session's or a benchmark's file is its own). The
    user must own the schema: a superuser does, and from PostgreSQL 15 so does the
    database's owner (``public`` belongs to ``pg_database_owner``).
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            schema = conn.scalar(text("SELECT current_schema()")) or "public"
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION CURRENT_USER'))
    else:
        db.metadata.drop_all(engine)
    if create:
        db.metadata.create_all(engine)
