"""The session's database setup survives a database left by another schema.

A developer's worker database can hold objects the current models do not know (an older
schema's table with a foreign key into theirs, a view over one of their tables).
``drop_all`` fails on those (``DependentObjectsStillExist``); ``fresh_tables`` drops the
schema itself, so the run starts anyway. Tried on a scratch database of its own, never on
the session's.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.schema_reset import fresh_tables
from tests.fixtures.database import create_database

STRAY = (
    "CREATE VIEW stray_points AS SELECT id, points FROM point_transactions",
    "CREATE TABLE stray_old_lines (id int PRIMARY KEY,"
    " point_transaction_id int REFERENCES point_transactions (id))",
)


@pytest.fixture
def scratch_engine(database_url):
    """An engine on a database of its own (``<test database>_scratch``), dropped afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite: the session's database is a new file, nothing can be left in it")
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    head, sep, query = url.partition("?")
    scratch = f"{head}_scratch{sep}{query}"
    name = head.rsplit("/", 1)[1] + "_scratch"
    create_database(scratch)
    engine = create_engine(scratch)
    yield engine
    engine.dispose()
    admin = head.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
def test_setup_succeeds_over_objects_the_models_do_not_know(scratch_engine):
    fresh_tables(scratch_engine)
    with scratch_engine.begin() as conn:
        for statement in STRAY:
            conn.execute(text(statement))

    with pytest.raises(DBAPIError, match="other objects depend on it"):
        db.metadata.drop_all(scratch_engine)  # what the fixture did before

    fresh_tables(scratch_engine)

    found = inspect(scratch_engine)
    assert set(found.get_table_names()) == set(db.metadata.tables)
    assert found.get_view_names() == []
    with scratch_engine.connect() as conn:
        owner = conn.scalar(
            text(
                "SELECT pg_get_userbyid(nspowner) = current_user"
                " FROM pg_namespace WHERE nspname = current_schema()"
            )
        )
    assert owner is True

    fresh_tables(scratch_engine, create=False)  # the session's last step
    assert inspect(scratch_engine).get_table_names() == []
