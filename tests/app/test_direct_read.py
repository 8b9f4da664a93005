"""``app.direct_read.read_rows``: after its first run a hot read goes straight to psycopg's
cursor (PostgreSQL), with SQLAlchemy's text, bound values, bind and result processing,
statement events and error handling; everything else goes through SQLAlchemy.
``read_rows_unbegun`` sends a read before the transaction begins outside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Integer, bindparam, literal, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, DBAPIError

from app.auth.models import User
from app.direct_read import read_rows, read_rows_unbegun
from app.extensions import UTCDateTime, db
from tests.fixtures.auth import gen_user, login
from tests.fixtures.statements import statements


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def through_sqlalchemy(monkeypatch):
    """Count the statements SQLAlchemy's own execution runs."""
    seen: list[object] = []
    execute = Connection._execute_clauseelement

    def counted(self, elem, *args, **kwargs):
        seen.append(elem)
        return execute(self, elem, *args, **kwargs)

    monkeypatch.setattr(Connection, "_execute_clauseelement", counted)
    return seen


def test_rows_values_and_types_are_sqlalchemys(ctx, through_sqlalchemy):
    """Bound values of the statement itself (a literal), bind processors (an aware time
    stored as UTC) and result processors (read back aware) as SQLAlchemy gives them."""
    user = gen_user("direct", "hq_operator", display_name="Direct")
    db.session.commit()
    moment = datetime(2026, 12, 7, 20, 30, tzinfo=UTC)
    stmt = select(
        User.id,
        User.display_name,
        literal(7, Integer).label("seven"),
        bindparam("at", type_=UTCDateTime(timezone=True)).label("at"),
    ).where(User.id == bindparam("user_id"))
    params = {"user_id": user.id, "at": moment}
    expected = [tuple(row) for row in db.session.connection().execute(stmt, params)]
    assert expected == [(user.id, "Direct", 7, moment)]
    runs = [read_rows(db.session.connection(), stmt, params) for _ in range(3)]
    for rows in runs:
        assert [tuple(row) for row in rows] == expected
        assert rows[0][3].utcoffset() == timedelta(0)
    direct = [elem for elem in through_sqlalchemy if elem is stmt]
    assert len(direct) == (2 if _postgres() else 4)  # the plain run and the planning one


def test_the_same_text_is_sent_and_counted(ctx):
    stmt = select(literal_column("1").label("one")).where(bindparam("x", type_=Integer) > 0)
    with statements() as planned:
        read_rows(db.session.connection(), stmt, {"x": 1})
    with statements() as direct:
        assert [tuple(r) for r in read_rows(db.session.connection(), stmt, {"x": 1})] == [(1,)]
        assert read_rows(db.session.connection(), stmt, {"x": 0}) == []
    assert direct == planned * 2


def test_a_database_error_is_sqlalchemys(ctx):
    """Division by zero: SQLAlchemy's exception class on the direct path too."""
    if not _postgres():
        pytest.skip("SQLite divides by zero into NULL")
    stmt = select(literal_column("1") / bindparam("d", type_=Integer))
    assert [tuple(r) for r in read_rows(db.session.connection(), stmt, {"d": 1})] == [(1,)]
    db.session.commit()
    with pytest.raises(DataError) as raised:
        read_rows(db.session.connection(), stmt, {"d": 0})
    assert isinstance(raised.value, DBAPIError)
    db.session.rollback()


def test_an_expanding_list_always_goes_through_sqlalchemy(ctx, through_sqlalchemy):
    stmt = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    for ids in ([1], [1, 2, 3], [4]):
        read_rows(db.session.connection(), stmt, {"ids": ids})
    assert through_sqlalchemy.count(stmt) == 3


def test_signed_in_pages_run_their_statements_directly(app, ctx, client, through_sqlalchemy):
    """On PostgreSQL, after its first view the overview's two statements (the account and
    the figures) leave no work for SQLAlchemy's execution."""
    gen_user("hq-direct", "hq_admin")
    db.session.commit()
    assert login(client, "hq-direct").status_code == 302
    client.get("/admin/")
    through_sqlalchemy.clear()
    with statements() as seen:
        assert client.get("/admin/").status_code == 200
    assert len(seen) == 2
    assert len(through_sqlalchemy) == (0 if _postgres() else 2)


def test_an_unchanged_session_is_not_signed_again(app, ctx, client):
    """A page view that leaves the session as it was sends no ``Set-Cookie`` (no session
    re-signed per response); one that changes it (the language) does."""
    gen_user("hq-cookie", "hq_admin")
    db.session.commit()
    assert login(client, "hq-cookie").status_code == 302
    client.get("/admin/")  # the page's CSRF token joins the session once
    for _ in range(2):
        response = client.get("/admin/")
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == []
    assert client.get("/admin/?lang=en").headers.getlist("Set-Cookie")
    assert client.get("/admin/").headers.getlist("Set-Cookie") == []


def test_a_read_before_the_transaction_begins_sends_no_begin(ctx):
    """``read_rows_unbegun``: the same rows as ``read_rows``; on PostgreSQL nothing is
    open on the server after it (no BEGIN was sent, so no COMMIT is owed), the next
    statement begins the transaction, a read inside one stays in it, and an error leaves
    the connection usable in its usual mode."""
    stmt = select(literal_column("1") / bindparam("d", type_=Integer))
    db.session.commit()
    for _ in range(3):  # the planning run and the direct ones
        assert [tuple(r) for r in read_rows_unbegun(db.session.connection(), stmt, {"d": 1})] == [
            (1,)
        ]
        if not _postgres():
            continue
        dbapi = db.session.connection().connection.dbapi_connection
        assert (dbapi.info.transaction_status, dbapi.autocommit) == (TransactionStatus.IDLE, False)
    if not _postgres():
        return
    with pytest.raises(DataError):
        read_rows_unbegun(db.session.connection(), stmt, {"d": 0})
    db.session.rollback()
    connection = db.session.connection()
    dbapi = connection.connection.dbapi_connection
    assert (dbapi.info.transaction_status, dbapi.autocommit) == (TransactionStatus.IDLE, False)
    connection.execute(select(literal_column("2")))  # begins the transaction
    assert dbapi.info.transaction_status == TransactionStatus.INTRANS
    read_rows_unbegun(connection, stmt, {"d": 1})
    assert (dbapi.info.transaction_status, dbapi.autocommit) == (TransactionStatus.INTRANS, False)
    db.session.rollback()
