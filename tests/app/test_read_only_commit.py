"""A request that only read ends with COMMIT on PostgreSQL (psycopg keeps its prepared
statements); one that wrote anything, left changes unflushed or raised is rolled back
as before, on every database: nothing it did is kept.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from app.auth.models import User
from app.extensions import db
from tests.fixtures.auth import gen_user


@pytest.fixture
def ended(app):
    """The transaction ends the engine saw, in order (``"commit"`` / ``"rollback"``)."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_commit(_conn):
        seen.append("commit")

    def on_rollback(_conn):
        seen.append("rollback")

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield seen
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


@pytest.fixture
def user_id(app):
    with app.app_context():
        user = gen_user("reader", "hq_operator", display_name="Before")
        return user.id


def _request(app, work, exc=None):
    """Run ``work`` in an app context and tear it down as a request would."""
    ctx = app.app_context()
    ctx.push()
    try:
        work()
    finally:
        ctx.pop(exc)


def _name(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).display_name


def _postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_a_read_only_request_commits_on_postgres(app, user_id, ended):
    def read():
        for _ in range(6):  # psycopg prepares on the fifth run
            db.session.execute(select(User.display_name).where(User.id == user_id)).one()

    _request(app, read)
    if _postgres(app):
        assert ended == ["commit"]
    else:
        assert "commit" not in ended


def test_a_core_update_is_rolled_back(app, user_id, ended):
    def write():
        db.session.execute(select(User.id)).all()
        db.session.execute(update(User).where(User.id == user_id).values(display_name="Core"))

    _request(app, write)
    assert "commit" not in ended
    assert _name(app, user_id) == "Before"


def test_unflushed_and_flushed_changes_are_rolled_back(app, user_id, ended):
    def dirty():
        db.session.get(User, user_id).display_name = "Dirty"

    def flushed():
        db.session.get(User, user_id).display_name = "Flushed"
        db.session.flush()

    _request(app, dirty)
    _request(app, flushed)
    assert "commit" not in ended
    assert _name(app, user_id) == "Before"


def test_a_request_that_raised_is_rolled_back(app, user_id, ended):
    def read():
        db.session.execute(select(User.id)).all()

    _request(app, read, exc=RuntimeError("boom"))
    assert "commit" not in ended


def test_objects_read_stay_loaded_after_the_request(app, user_id, ended):
    """Committing must not expire what was read: the session is closed next, and a caller
    holding an object afterwards (a job, a test) reads its loaded attributes as before."""
    held = {}

    def read():
        held["user"] = db.session.get(User, user_id)

    _request(app, read)
    assert held["user"].display_name == "Before"


def test_a_read_only_request_commits_its_connection_not_the_session(
    app, user_id, ended, monkeypatch
):
    """The read-only COMMIT is the connection's own: the session's commit machinery (its
    listeners, flush check and expiry, ~0.1 ms a request) has nothing to do then."""
    from sqlalchemy.orm import Session

    session_commits: list[str] = []
    commit = Session.commit

    def noted_commit(session):
        session_commits.append("commit")
        commit(session)

    monkeypatch.setattr(Session, "commit", noted_commit)

    def read():
        db.session.execute(select(User.display_name).where(User.id == user_id)).one()

    _request(app, read)
    assert session_commits == []
    if _postgres(app):
        assert ended == ["commit"]
