"""Per-request cost of the pay notify (issue 20): ``time_end`` read without strptime but to
the same instant, no ORM session made for a notify PostgreSQL settles in one statement,
and the security headers added in one pass with ``setdefault``'s rule."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Response
from hypothesis import given
from hypothesis import strategies as st

from app.extensions import db
from franchise.services.payments import read_time_end
from tests.franchise.factories_payments import order_after_a_payment, post_notify

# 14 digits, mostly near valid times (month 00-19, day 00-39, hour 00-29, ...)
FOURTEEN = st.tuples(
    st.integers(0, 9999),
    *(st.integers(0, top) for top in (19, 39, 29, 69, 69)),
).map(lambda f: f"{f[0]:04d}" + "".join(f"{n:02d}" for n in f[1:]))


def _strptime(text: str):
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return ValueError


def _fast(text: str):
    try:
        return read_time_end(text)
    except ValueError:
        return ValueError


@given(st.one_of(FOURTEEN, st.text(alphabet="0123456789١ -", max_size=16)))
def test_time_end_reads_what_strptime_reads(text):
    """The same time, or the same refusal, for any text (14 ASCII digits take the fast
    road; Arabic-Indic digits, spaces and other lengths strptime's)."""
    assert _fast(text) == _strptime(text)


def test_time_end_refuses_what_strptime_refuses():
    for text in ("20260230120000", "20261326120000", "20261126240000", "20261126126000"):
        assert _fast(text) is ValueError
    assert read_time_end("20261126120000") == datetime(2026, 11, 26, 12, 0, 0)  # noqa: DTZ001


def test_a_postgres_notify_makes_no_orm_session(app, client, org, monkeypatch):
    """The one statement runs on a pooled connection: the request neither makes a session
    nor closes one (a first delivery and its duplicate, once the franchisee's ledger
    accounts exist: the first payment of all creates them through the session)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite settles through the session")
    otn = order_after_a_payment(client, app, org.fa, 10000, "4200000000202612070000000201")
    made: list[int] = []
    registry = db.session.registry
    real = registry.createfunc
    monkeypatch.setattr(registry, "createfunc", lambda: made.append(1) or real())
    tid = "4200000000202612070000000202"
    assert post_notify(client, app, otn, 10000, tid) == "SUCCESS"
    assert post_notify(client, app, otn, 10000, tid) == "SUCCESS"
    assert made == []


def test_security_headers_are_added_once_and_never_replace_the_response_s(app):
    """``setdefault``'s rule: a header the response set (any case) stays as it is."""
    hook = next(f for f in app.after_request_funcs[None] if f.__name__ == "_headers")
    with app.test_request_context("/"):
        response = hook(Response("x", headers={"x-frame-options": "DENY"}))
    names = [name.lower() for name, _value in response.headers]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert len(names) == len(set(names))
