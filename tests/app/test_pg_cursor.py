"""PostgreSQL connections use ``app.pg_cursor.LazyDescriptionCursor``: its description is
psycopg's own, column for column, whenever something reads it, of the result it was
asked about (the cursor may have moved on), ``None`` when a statement returns no rows;
and SQLAlchemy's results read the same values, first run (metadata from the
description) and cached runs alike. SQLite has no such cursor: the tests skip there."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select, text, update

from app.auth.models import User
from app.extensions import db
from app.pg_cursor import LazyDescription, LazyDescriptionCursor
from tests.fixtures.auth import gen_user


@pytest.fixture
def pg(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a psycopg cursor: PostgreSQL only")
        yield db.session.connection()


SQL = "SELECT 1::int AS one, 'x'::text AS letter, now() AS moment, NULL::numeric(10, 2) AS n"
NAMES = ["one", "letter", "moment", "n"]


def test_description_is_psycopgs_own(pg):
    dbapi = pg.connection.dbapi_connection
    assert dbapi.cursor_factory is LazyDescriptionCursor
    lazy, plain = dbapi.cursor(), psycopg.Cursor(dbapi)
    lazy.execute(SQL)
    plain.execute(SQL)
    described = lazy.description
    assert isinstance(described, LazyDescription) and len(described) == 4
    lazy.execute("SELECT 2 AS other")  # the cursor moves on; the description stays its result's
    assert [tuple(c) for c in described] == [tuple(c) for c in plain.description]
    assert [c.name for c in described] == NAMES
    assert described[1].type_code == 25 and described[-1].scale == 2
    assert [c.name for c in lazy.description] == ["other"]
    lazy.execute("SELECT")  # no fields, but rows: an empty description, as psycopg's
    assert lazy.description is not None and len(lazy.description) == 0


def test_column_names_are_decoded_in_the_connection_s_encoding(pg):
    """Names beyond ASCII come out as psycopg's own (the client encoding read through
    ``Connection.info.encoding`` when the columns are built)."""
    cursor = pg.connection.dbapi_connection.cursor()
    cursor.execute('SELECT 1 AS "顾客", 2 AS "积分"')
    described = cursor.description
    cursor.execute("SELECT 3")
    assert [c.name for c in described] == ["顾客", "积分"]


def test_no_rows_no_description(pg):
    cursor = pg.connection.dbapi_connection.cursor()
    cursor.execute("SET LOCAL statement_timeout = 0")
    assert cursor.description is None


def test_sqlalchemy_results_read_the_same(pg):
    user = gen_user("lazy-desc", "hq_admin", display_name="描述")
    pg = db.session.connection()  # the user's commit ended the fixture's
    for _ in range(3):  # the first run builds the result metadata, the rest reuse it
        row = pg.execute(select(User.id, User.display_name).where(User.id == user.id)).one()
        assert (row.id, row.display_name) == (user.id, "描述")
        mapping = pg.execute(text(SQL)).mappings().one()
        assert list(mapping) == NAMES and mapping["letter"] == "x"
    result = pg.execute(update(User).where(User.id == user.id).values(display_name="改"))
    assert result.rowcount == 1 and not result.returns_rows
