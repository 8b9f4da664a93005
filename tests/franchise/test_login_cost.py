"""What a mini-program login costs (issue 20): a returning customer is a handful of
statements, a new one reads each row once and writes each once in one transaction (no
read-back after the commit), a refused welcome coupon does not undo the login, and the
code2session call reuses the process's exchange without fetching an access token."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db, get_redis
from app.wechat.sandbox.miniprogram import identity_for_code
from franchise.models import (
    LEFT,
    AssignmentHistory,
    Coupon,
    CouponBudget,
    Customer,
    Guide,
    Member,
    PointTransaction,
)
from franchise.services.customers import guide_share_code
from tests.fixtures.concurrency import storm
from tests.franchise.factories_commerce import gen_template
from tests.franchise.factories_customers import login_seen

SH = {"latitude": 31.2001, "longitude": 121.4001, "city": "上海"}


def _reads(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.lstrip().startswith("SELECT") and f"FROM {table}" in s]


def _again(app, first: dict, code: str) -> None:
    """Point the customer at the identity of ``code`` (every sandbox code is a new one)."""
    with app.app_context():
        customer = db.session.get(Customer, first["customer"]["id"])
        customer.openid = identity_for_code(code)["openid"]
        db.session.commit()


def _is_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_a_new_customer_s_login_writes_each_row_once_and_reads_nothing_back(app, client, org):
    """Customer, history, member, level change, points and coupon: each inserted once;
    the customers and members rows are never selected (they were 3–4 times each)."""
    with app.app_context():
        gen_template({org.east: 5}, kind="new_customer", name="新客券")
    body, seen = login_seen(app, client, "code-cost-new", **SH)
    assert body["created"] is True and body["customer"]["store_id"] == org.sa
    for table in ("customers", "assignment_history", "members", "point_transactions", "coupons"):
        # one INSERT each (on PostgreSQL all of them CTEs of one statement: welcome_pg)
        assert sum(s.count(f"INSERT INTO {table} ") for s in seen) == 1, table
    assert not _reads(seen, "members")
    assert len(_reads(seen, "customers")) == 1  # the lookup by openid, before anything
    assert len(seen) <= 18, seen  # 32 before (two more for the contacts hook)
    with app.app_context():
        member = db.session.scalars(
            select(Member).where(Member.customer_id == body["customer"]["id"])
        ).one()
        assert member.points == 100
        assert db.session.scalar(select(func.count()).select_from(Coupon)) == 1


def test_a_returning_customer_s_login_is_a_handful_of_statements(app, client, org):
    """Found with its owner's state in one statement, the settings for the binding, the
    contacts hook's one UPDATE: no write of the customer when nothing changed."""
    first, _ = login_seen(app, client, "code-cost-back-1", **SH)
    _again(app, first, "code-cost-back-2")
    body, seen = login_seen(app, client, "code-cost-back-2")
    assert body["created"] is False and body["customer"] == first["customer"]
    assert len(seen) <= 3, seen
    assert not [s for s in seen if s.startswith("UPDATE customers")]
    assert len(_reads(seen, "customers")) == 1


def test_a_returning_customer_s_new_place_is_one_update(app, client, org):
    first, _ = login_seen(app, client, "code-cost-move-1", **SH)
    _again(app, first, "code-cost-move-2")
    _body, seen = login_seen(app, client, "code-cost-move-2", latitude=31.3, longitude=121.5)
    assert len([s for s in seen if s.startswith("UPDATE customers")]) == 1
    with app.app_context():
        customer = db.session.get(Customer, first["customer"]["id"])
        assert (customer.latitude, customer.longitude) == (31.3, 121.5)
        assert customer.store_id == org.sa  # the binding holds: no history row
        assert db.session.scalar(select(func.count()).select_from(AssignmentHistory)) == 1


def test_a_used_up_coupon_budget_leaves_the_login_and_its_points(app, client, org):
    """The budget refuses the coupon (nothing written for it); the customer, member and
    sign-up points of the same transaction stay."""
    with app.app_context():
        template = gen_template({org.east: 1}, kind="new_customer", name="新客券")
        db.session.execute(
            CouponBudget.__table__.update()
            .where(CouponBudget.template_id == template.id)
            .values(issued_count=1)
        )
        db.session.commit()
    body, _ = login_seen(app, client, "code-cost-nobudget", **SH)
    assert body["created"] is True
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Coupon)) == 0
        member = db.session.scalars(
            select(Member).where(Member.customer_id == body["customer"]["id"])
        ).one()
        assert member.points == 100


def test_code2session_reuses_the_process_s_exchange_and_fetches_no_token(app, client):
    """The exchange (and its pool) is built once per configuration; the login exchange
    needs no access token, so none is fetched or cached for it."""
    from app.wechat.code2session import pool_for
    from app.wechat.miniprogram import code_to_session

    with app.app_context():
        exchange = pool_for(app)
        assert pool_for(app) is exchange
        assert code_to_session("code-cost-client")["openid"]
        assert get_redis().get(f"siyu:wechat:{app.config['MP_APPID']}_access_token") is None
        app.config["WECHAT_HTTP_TIMEOUT"] = app.config["WECHAT_HTTP_TIMEOUT"] + 1
        try:
            assert pool_for(app) is not exchange  # a changed setting, a new exchange
        finally:
            app.config["WECHAT_HTTP_TIMEOUT"] -= 1


@pytest.mark.postgres
def test_parallel_first_logins_of_one_person_make_one_customer_and_one_welcome(app, client, org):
    """The welcome takes no lock now: the customer's unique openid lets one first login
    insert the row; the others wait, fail on the key, find the row and are returning
    customers. One customer, one member, one sign-up posting, one coupon."""
    with app.app_context():
        gen_template({org.east: 50}, kind="new_customer", name="新客券")
    codes = [
        client.post("/_sandbox/control/mp/login_code", json={"user": "twin"}).get_json()["code"]
        for _ in range(8)
    ]

    def log_in(code: str):
        def call(own):
            answer = own.post("/api/v1/mp/session", json={"code": code, **SH})
            return answer.status_code, answer.get_json().get("created")

        return call

    answers = storm(app, [log_in(code) for code in codes])
    assert sorted(answers) == [(200, False)] * 7 + [(200, True)], answers
    with app.app_context():
        for model in (Customer, Member, PointTransaction, Coupon):
            assert db.session.scalar(select(func.count()).select_from(model)) == 1, model
        assert db.session.scalars(select(Member.points)).one() == 100


def test_a_returning_customer_whose_guide_left_is_assigned_again_from_the_row_read(
    app, client, org
):
    """Rule 2 is decided from the owner's state read with the customer (the guide no
    longer active): the binding no longer holds, so rules 3–5 place them again, with one
    history row; no separate read of the franchisee, store or guide."""
    with app.app_context():
        code = guide_share_code(db.session.get(Guide, org.ga)).code
    first, _ = login_seen(app, client, "code-cost-left-1", share_code=code, **SH)
    assert first["customer"]["guide_id"] == org.ga
    _again(app, first, "code-cost-left-2")
    with app.app_context():
        db.session.get(Guide, org.ga).status = LEFT  # without the hand-over
        db.session.commit()
    body, seen = login_seen(app, client, "code-cost-left-2")
    assert body["customer"] == {**first["customer"], "guide_id": None}
    assert not [s for s in seen if "FROM guides" in s and "JOIN" not in s]
    with app.app_context():
        customer = db.session.get(Customer, first["customer"]["id"])
        assert customer.assignment_rule == "nearest_store"
        rules = db.session.scalars(
            select(AssignmentHistory.rule).order_by(AssignmentHistory.id)
        ).all()
        assert rules == ["share_code", "nearest_store"]


def _round_trips(app, client, code: str, **extra) -> tuple[dict, list[str]]:
    """A login's answer and what it sends on the wire, by libpq's trace of each connection
    it takes from the pool: one entry per round trip ("statement" for a statement's
    Sync, else the simple query's text: BEGIN, COMMIT)."""
    import os
    import tempfile

    from psycopg.pq import Trace
    from sqlalchemy import event

    traced: list = []
    with app.app_context(), tempfile.TemporaryFile("w+") as out:

        def trace(dbapi_connection, _record, _proxy) -> None:
            dbapi_connection.pgconn.trace(out.fileno())
            dbapi_connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
            traced.append(dbapi_connection.pgconn)

        event.listen(db.engine.pool, "checkout", trace)
        try:
            answer, _seen = login_seen(app, client, code, **extra)
        finally:
            event.remove(db.engine.pool, "checkout", trace)
            for pgconn in traced:
                pgconn.untrace()
        out.flush()
        os.lseek(out.fileno(), 0, os.SEEK_SET)
        sent = [line.split("\t") for line in out.read().splitlines() if line.startswith("F")]
    trips = [
        p[3].strip() if p[2] == "Query" else "statement"
        for p in sent
        if p[2:3] in (["Query"], ["Sync"])
    ]
    return answer, trips


def test_logins_send_no_begin_or_commit_around_their_statements(app, client, org):
    """On PostgreSQL, on the wire: a new customer (by place or by a share code) is three
    round trips, the find (with the nearby stores or the code's owner), the welcome
    statement and the contacts hook's read; a returning customer with nothing to write is
    one; none sends BEGIN or COMMIT (each is its statements' whole transaction), once
    HQ's settings and templates are in memory."""
    if not _is_postgres(app):
        pytest.skip("libpq's trace: PostgreSQL only")
    with app.app_context():
        gen_template({org.east: 5}, kind="new_customer", name="新客券")
        share = guide_share_code(db.session.get(Guide, org.ga)).code
    login_seen(app, client, "code-wire-warm", **SH)  # HQ's rules read into memory once
    first, sent = _round_trips(app, client, "code-wire-place", **SH)
    assert first["created"] is True and sent == ["statement"] * 3, sent
    answer, sent = _round_trips(app, client, "code-wire-share", share_code=share)
    assert answer["created"] is True and sent == ["statement"] * 3, sent
    again = client.post("/_sandbox/control/mp/login_code", json={"user": "wire-place"})
    answer, sent = _round_trips(app, client, again.get_json()["code"])  # the same person
    assert answer["created"] is False and answer["customer"] == first["customer"]
    assert sent == ["statement"], sent
