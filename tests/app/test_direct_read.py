"""``app.direct_read.read_rows``: after its first run a hot read goes straight to psycopg's
cursor (PostgreSQL), with SQLAlchemy's text, bound values, bind and result processing,
statement events and error handling; everything else goes through SQLAlchemy.
``read_rows(..., alone=True)`` sends a read before the transaction begins outside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Integer, bindparam, literal, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from app.auth.models import User
from app.direct_read import read_rows, send_sql
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


def _placeholder(name: str) -> str:
    """The driver's placeholder for a named parameter (psycopg's or sqlite3's)."""
    return f"%({name})s" if _postgres() else f":{name}"


def test_sent_sql_answers_as_exec_driver_sql(ctx, monkeypatch):
    """``send_sql``: the rows ``exec_driver_sql`` gives for the same text, counted as a
    statement like any other; on PostgreSQL without SQLAlchemy's execution."""
    user = gen_user("sent", "hq_operator", display_name="Sent")
    db.session.commit()
    sql = "SELECT id, display_name FROM users WHERE id = " + _placeholder("id")
    connection = db.session.connection()
    expected = [tuple(row) for row in connection.exec_driver_sql(sql, {"id": user.id})]
    assert expected == [(user.id, "Sent")]
    if _postgres():  # straight on the cursor inside the transaction
        monkeypatch.setattr(Connection, "exec_driver_sql", None)
    with statements() as seen:
        rows = send_sql(connection, sql, {"id": user.id})
    assert [tuple(row) for row in rows] == expected
    assert len(seen) == 1


def test_a_sent_statements_error_is_sqlalchemys(ctx):
    """A unique violation on the direct path: SQLAlchemy's IntegrityError, as before."""
    user = gen_user("sent-twice", "hq_operator")
    db.session.commit()
    sql = "INSERT INTO users (id, username) SELECT id, username FROM users WHERE id = "
    sql += _placeholder("id")
    with pytest.raises(IntegrityError):
        send_sql(db.session.connection(), sql + " RETURNING id", {"id": user.id})
    db.session.rollback()


def _raw_status():
    """The psycopg connection's transaction status under the session's connection."""
    from psycopg.pq import TransactionStatus

    raw = db.session.connection().connection.dbapi_connection
    return TransactionStatus(raw.pgconn.transaction_status)


def _account_read(user_id: int, alone: bool = True):
    stmt = _ACCOUNT
    return read_rows(db.session.connection(), stmt, {"user_id": user_id}, alone=alone)


_ACCOUNT = select(User.id, User.display_name).where(User.id == bindparam("user_id"))
_LOCKING = select(User.id).where(User.id == bindparam("user_id")).with_for_update()


def _planned(user_id: int) -> None:
    """Run the statements once through SQLAlchemy (their plan is kept), then end that
    transaction, so the next read meets an idle connection."""
    _account_read(user_id)
    read_rows(db.session.connection(), _LOCKING, {"user_id": user_id}, alone=True)
    db.session.rollback()


def test_a_read_alone_opens_no_transaction(ctx):
    """On an idle connection a read marked ``alone`` is its own transaction: no BEGIN (the
    connection stays idle, so the request's COMMIT sends nothing either), the same rows,
    and a write after it still opens a transaction that is rolled back whole."""
    if not _postgres():
        pytest.skip("PostgreSQL's transactions (SQLite goes through SQLAlchemy)")
    from psycopg.pq import TransactionStatus

    user_id = gen_user("alone", "hq_operator", display_name="Alone").id
    db.session.commit()
    _planned(user_id)
    assert [tuple(row) for row in _account_read(user_id)] == [(user_id, "Alone")]
    assert _raw_status() == TransactionStatus.IDLE
    raw = db.session.connection().connection.dbapi_connection
    assert raw.autocommit is False  # set back for what follows
    db.session.execute(update_name(user_id, "Written"))
    assert _raw_status() == TransactionStatus.INTRANS
    # inside a transaction a read marked alone joins it (sees its own write)
    assert [tuple(row) for row in _account_read(user_id)] == [(user_id, "Written")]
    db.session.rollback()
    assert [tuple(row) for row in _account_read(user_id)] == [(user_id, "Alone")]
    db.session.rollback()


def test_a_locking_read_or_another_isolation_is_never_alone(ctx):
    """``FOR UPDATE`` keeps its lock for the transaction, and a connection set to another
    isolation level reads one snapshot per transaction: neither is sent alone."""
    if not _postgres():
        pytest.skip("PostgreSQL's transactions (SQLite goes through SQLAlchemy)")
    from psycopg import IsolationLevel
    from psycopg.pq import TransactionStatus

    user_id = gen_user("locked", "hq_operator").id
    db.session.commit()
    _planned(user_id)
    read_rows(db.session.connection(), _LOCKING, {"user_id": user_id}, alone=True)
    assert _raw_status() == TransactionStatus.INTRANS
    db.session.rollback()
    raw = db.session.connection().connection.dbapi_connection
    raw.isolation_level = IsolationLevel.REPEATABLE_READ
    try:
        _account_read(user_id)
        assert _raw_status() == TransactionStatus.INTRANS
    finally:
        db.session.rollback()
        raw.isolation_level = None


def test_a_server_that_does_not_read_committed_gets_no_read_alone(ctx, monkeypatch):
    """The server's default isolation is asked once per connection: anything but READ
    COMMITTED and the read stays in the transaction."""
    if not _postgres():
        pytest.skip("PostgreSQL's transactions (SQLite goes through SQLAlchemy)")
    from psycopg.pq import TransactionStatus

    from app.direct_read import READ_COMMITTED_KEY

    user_id = gen_user("serial", "hq_operator").id
    db.session.commit()
    _planned(user_id)
    monkeypatch.setitem(db.session.connection().connection.info, READ_COMMITTED_KEY, False)
    _account_read(user_id)
    assert _raw_status() == TransactionStatus.INTRANS
    db.session.rollback()
    info = db.session.connection().connection.info  # (the pool may hand another one)
    info.pop(READ_COMMITTED_KEY, None)
    _account_read(user_id)  # asked again: this server reads committed
    assert info[READ_COMMITTED_KEY] is True
    assert _raw_status() == TransactionStatus.IDLE


def test_a_signed_in_page_sends_no_begin_or_commit(app, ctx, client, monkeypatch):
    """The overview's two reads are each their own transaction on PostgreSQL: two round
    trips, no BEGIN before them and no COMMIT after."""
    if not _postgres():
        pytest.skip("PostgreSQL's transactions (SQLite goes through SQLAlchemy)")
    from psycopg import Connection as PsycopgConnection

    gen_user("hq-alone", "hq_admin")
    db.session.commit()
    assert login(client, "hq-alone").status_code == 302
    client.get("/admin/")
    client.get("/admin/")
    commands: list[bytes] = []
    original = PsycopgConnection._exec_command

    def noted(self, command, *args, **kwargs):
        commands.append(bytes(command) if isinstance(command, bytes) else command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(PsycopgConnection, "_exec_command", noted)
    with statements() as seen:
        assert client.get("/admin/").status_code == 200
    assert len(seen) == 2
    assert commands == []


def update_name(user_id: int, name: str):
    from sqlalchemy import update

    return update(User).where(User.id == user_id).values(display_name=name)


def test_a_read_before_the_transaction_begins_sends_no_begin(ctx):
    """``read_rows(..., alone=True)``: the same rows as ``read_rows``; on PostgreSQL nothing is
    open on the server after it (no BEGIN was sent, so no COMMIT is owed), the next
    statement begins the transaction, a read inside one stays in it, and an error leaves
    the connection usable in its usual mode."""
    stmt = select(literal_column("1") / bindparam("d", type_=Integer))
    db.session.commit()
    for _ in range(3):  # the planning run and the direct ones
        assert [
            tuple(r) for r in read_rows(db.session.connection(), stmt, {"d": 1}, alone=True)
        ] == [(1,)]
        if not _postgres():
            continue
        dbapi = db.session.connection().connection.dbapi_connection
        assert (dbapi.info.transaction_status, dbapi.autocommit) == (TransactionStatus.IDLE, False)
    if not _postgres():
        return
    with pytest.raises(DataError):
        read_rows(db.session.connection(), stmt, {"d": 0}, alone=True)
    db.session.rollback()
    connection = db.session.connection()
    dbapi = connection.connection.dbapi_connection
    assert (dbapi.info.transaction_status, dbapi.autocommit) == (TransactionStatus.IDLE, False)
    connection.execute(select(literal_column("2")))  # begins the transaction
    assert dbapi.info.transaction_status == TransactionStatus.INTRANS
    read_rows(connection, stmt, {"d": 1}, alone=True)
    assert (dbapi.info.transaction_status, dbapi.autocommit) == (TransactionStatus.INTRANS, False)
    db.session.rollback()
