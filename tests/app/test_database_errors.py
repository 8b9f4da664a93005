"""503 "database unavailable" only when the database cannot be reached or asks for a retry.

Before, every ``DBAPIError`` answered 503: a constraint violation or a bug in a query
told the client to come back later. Now a lost or refused connection, a locked database
and an empty pool are 503; a constraint is 409 / 422 (tests/franchise/
test_constraint_errors.py); any other database error is a bug, answered 500.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout


def _answer(app, exc):
    with app.test_request_context("/api/v1/campaigns/1"):
        res = app.make_response(app.handle_user_exception(exc))
    return res.status_code, res.get_json()["code"]


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("SELECT 1", {}, Exception("connection refused")),
        OperationalError("SELECT 1", {}, Exception("database is locked")),
        InterfaceError("SELECT 1", {}, Exception("the connection is closed")),
        PoolTimeout("QueuePool limit of size 5 overflow 10 reached"),
        DBAPIError("SELECT 1", {}, Exception("lost"), connection_invalidated=True),
    ],
)
def test_an_unreachable_database_is_503(app, exc):
    assert _answer(app, exc) == (503, "unavailable")


@pytest.mark.parametrize(
    "exc",
    [
        ProgrammingError("SELECT nope", {}, Exception('relation "nope" does not exist')),
        InternalError("SELECT 1", {}, Exception("current transaction is aborted")),
    ],
)
def test_a_broken_query_is_500_not_503(app, exc):
    assert _answer(app, exc) == (500, "internal_error")


def test_a_constraint_the_error_cannot_read_is_still_409_not_503(app):
    exc = IntegrityError("INSERT INTO x VALUES (1)", {}, Exception("constraint failed"))
    assert _answer(app, exc) == (409, "conflict")
