"""A first login whose welcome fails still logs the customer in (franchise.services.
welcome_retry): the customer is committed without any of the welcome (no member, no
posting, no coupon, no budget unit taken), HQ and the owner get a ``welcome_failed``
alert naming the customer and the step in words, and the outbox's retry gives exactly
one welcome — never a second posting or coupon, however often it runs. On PostgreSQL
the one-statement welcome's SQL rules are the Python rules' own expressions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update

from app.clock import utcnow
from app.extensions import db
from app.outbox import DEAD, MAX_ATTEMPTS, PENDING, OutboxMessage, drain
from franchise.models import (
    Alert,
    Coupon,
    CouponBudget,
    Customer,
    Member,
    MemberLevelChange,
    PointEntry,
    PointLot,
    PointTransaction,
)
from franchise.services import coupons, member_settings, points_book, welcome_retry
from franchise.services.members import COUPON_STEP, POINTS_STEP, number_of, number_sql
from franchise.services.points_book import account_code, account_code_sql
from tests.fixtures.auth import api_token, bearer, login, post_form
from tests.fixtures.concurrency import storm
from tests.fixtures.statements import statements
from tests.franchise.factories_commerce import gen_template

SH = {"latitude": 31.2001, "longitude": 121.4001, "city": "上海"}
WELCOME_ROWS = (Member, MemberLevelChange, PointTransaction, PointEntry, PointLot, Coupon)


def _broken(*_args, **_kwargs):
    raise RuntimeError("injected welcome failure")


# the step each patch breaks, on both databases (the PostgreSQL statement's inputs and
# the Core path both go through these)
BREAKS = {
    POINTS_STEP: (member_settings, "carrier_split"),
    COUPON_STEP: (coupons, "coupon_values"),
}


def _codes(client, user: str, n: int) -> list[str]:
    """``n`` ``wx.login`` codes of one sandbox person."""
    control = "/_sandbox/control/mp/login_code"
    return [client.post(control, json={"user": user}).get_json()["code"] for _ in range(n)]


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in WELCOME_ROWS
    }


def _issued() -> int:
    return db.session.scalar(select(func.sum(CouponBudget.issued_count))) or 0


def _balanced() -> None:
    assert points_book.unbalanced_transactions() == []
    assert points_book.balances_disagree() == []
    assert points_book.orphan_entries() == []


def _failed_login(app, client, org, monkeypatch, step: str, code: str) -> int:
    """A first login with the ``step`` broken; asserts it let the customer in with none
    of the welcome, and returns the customer's id."""
    with app.app_context():
        gen_template({org.east: 5}, kind="new_customer", name="新客券")
    module, name = BREAKS[step]
    with monkeypatch.context() as patch:
        patch.setattr(module, name, _broken)
        answer = client.post("/api/v1/mp/session", json={"code": code, **SH})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["created"] is True and body["token"]
    cid = body["customer"]["id"]
    with app.app_context():
        assert db.session.get(Customer, cid).franchisee_id == org.fa
        assert _counts() == dict.fromkeys(_counts(), 0)  # none of the welcome
        assert _issued() == 0  # the budget unit the coupon took went back
        _balanced()
        alert = db.session.scalars(select(Alert).where(Alert.code == "welcome_failed")).one()
        assert (alert.franchisee_id, alert.params["customer_id"]) == (org.fa, cid)
        assert alert.params["reason"] == step
        queued = db.session.scalars(select(OutboxMessage)).all()
        assert [(m.kind, m.payload, m.status) for m in queued] == [
            (welcome_retry.WELCOME_KIND, {"customer_id": cid}, PENDING)
        ]
    return cid


def _one_welcome(cid: int) -> None:
    assert _counts() == {
        "Member": 1,
        "MemberLevelChange": 1,
        "PointTransaction": 1,
        "PointEntry": 2,
        "PointLot": 1,
        "Coupon": 1,
    }
    member = db.session.scalars(select(Member)).one()
    assert (member.customer_id, member.number, member.points) == (cid, number_of(cid), 100)
    tx = db.session.scalars(select(PointTransaction)).one()
    assert tx.idempotency_key == f"event:signup:{cid}"
    assert _issued() == 1
    _balanced()


def _alert_closed() -> None:
    """The welcome was given: its alert is closed for HQ and for the owner."""
    alert = db.session.scalars(select(Alert).where(Alert.code == "welcome_failed")).one()
    assert alert.hq_acknowledged_at is not None and alert.owner_acknowledged_at is not None


@pytest.mark.parametrize("step", [POINTS_STEP, COUPON_STEP], ids=["points", "coupon"])
def test_a_failing_welcome_lets_the_customer_in_and_the_retry_welcomes_once(
    app, client, org, monkeypatch, step
):
    first, later = _codes(client, "welcome", 2)
    cid = _failed_login(app, client, org, monkeypatch, step, first)
    with app.app_context():
        assert drain() == 1  # the outbox's retry, the step working again
        _one_welcome(cid)
        assert db.session.scalars(select(OutboxMessage.status)).one() == "done"
        _alert_closed()
        # a retry run again (a dispatcher died after the welcome's commit) gives nothing
        assert welcome_retry.welcome_once(cid) == {"points": 0, "coupon": False}
        db.session.commit()
        _one_welcome(cid)
    again = client.post("/api/v1/mp/session", json={"code": later})  # the same person
    assert again.status_code == 200 and again.get_json()["created"] is False
    with app.app_context():
        _one_welcome(cid)


def _login_again(app, client, code: str) -> list[str]:
    """The same person's next login (asserted 200, a returning customer); its statements."""
    with app.app_context(), statements() as seen:
        answer = client.post("/api/v1/mp/session", json={"code": code})
    assert answer.status_code == 200 and answer.get_json()["created"] is False
    return seen


@pytest.mark.parametrize("step", [POINTS_STEP, COUPON_STEP], ids=["points", "coupon"])
def test_the_next_login_gives_a_waiting_welcome_once_and_closes_the_alert(
    app, client, org, monkeypatch, step
):
    """The next login fails the same way: it still lets the customer in, writes nothing
    of the welcome and leaves the retry waiting. The one after gives it once in its own
    transaction: the retry is done (the dispatcher gives nothing), the alert closed for
    HQ and the owner. A login after that reads no more than a plain returning one."""
    first, second, third, fourth = _codes(client, "welcome-next", 4)
    cid = _failed_login(app, client, org, monkeypatch, step, first)
    with monkeypatch.context() as patch:
        patch.setattr(*BREAKS[step], _broken)
        _login_again(app, client, second)
    with app.app_context():
        assert _counts() == dict.fromkeys(_counts(), 0) and _issued() == 0
        assert db.session.scalars(select(OutboxMessage.status)).one() == PENDING
        alert = db.session.scalars(select(Alert)).one()
        assert alert.hq_acknowledged_at is None and alert.owner_acknowledged_at is None
    seen = _login_again(app, client, third)
    assert sum("INSERT INTO point_transactions" in s for s in seen) == 1
    with app.app_context():
        _one_welcome(cid)
        message = db.session.scalars(select(OutboxMessage)).one()
        assert (message.status, message.result) == ("done", {"points": 100, "coupon": True})
        _alert_closed()
        assert drain() == 0
    seen = _login_again(app, client, fourth)
    assert len(seen) <= 3 and [s for s in seen if "outbox_messages" in s] == seen[:1], seen
    assert "FROM customers" in seen[0]  # whether a welcome waits came with the customer
    with app.app_context():
        _one_welcome(cid)


def test_next_logins_the_outbox_and_hq_at_once_give_one_welcome(app, client, org, monkeypatch):
    """Four next logins, two dispatcher rounds and HQ's button at the same moment: they
    queue on the customer's row lock, so one of them gives the welcome and the others
    nothing; every login answers 200, HQ 200 or 409 (already given)."""
    first, *codes = _codes(client, "welcome-storm", 5)
    cid = _failed_login(app, client, org, monkeypatch, POINTS_STEP, first)
    hq = bearer(api_token(client, "hq"))

    def log_in(code):
        return lambda c: c.post("/api/v1/mp/session", json={"code": code}).status_code

    def dispatch(_client):
        with app.app_context():
            return drain()

    def by_hand(c):
        return c.post(f"/api/v1/customers/{cid}/welcome", headers=hq).status_code

    answers = storm(app, [*map(log_in, codes), dispatch, dispatch, by_hand])
    assert answers[:4] == [200] * 4 and answers[6] in (200, 409), answers
    with app.app_context():
        _one_welcome(cid)
        assert db.session.scalars(select(OutboxMessage.status)).one() == "done"
        _alert_closed()


def test_the_alert_names_the_customer_and_the_step_in_words(app, client, org, monkeypatch):
    cid = _failed_login(app, client, org, monkeypatch, POINTS_STEP, "code-welcome-words")
    login(client, "hq")
    zh = client.get("/admin/alerts").get_data(as_text=True)
    assert f"微信客户 {cid} 已首次登录，但欢迎礼（会员、注册积分、新客券）未能发放" in zh
    assert "注册积分未能入账。系统会自动重试。" in zh and "欢迎礼未发放" in zh
    assert f"/admin/customers/{cid}" in zh
    en = client.get("/admin/alerts?lang=en").get_data(as_text=True)
    assert f"WeChat customer {cid} logged in for the first time" in en
    assert "the sign-up points could not be posted" in en


def test_hq_gives_a_waiting_welcome_from_the_api_once(app, client, org, monkeypatch):
    """``POST /api/v1/customers/<id>/welcome``: HQ only (an owner 403); failing again is a
    409 naming the step in words with nothing written; then 200 with what was given, the
    retry marked done (the dispatcher gives nothing more), and a second call is 409."""
    cid = _failed_login(app, client, org, monkeypatch, COUPON_STEP, "code-welcome-api")
    url = f"/api/v1/customers/{cid}/welcome"
    owner = client.post(url, headers=bearer(api_token(client, "owner-a")))
    assert owner.status_code == 403
    hq = bearer(api_token(client, "hq"))
    assert client.post("/api/v1/customers/999999/welcome", headers=hq).status_code == 404
    with monkeypatch.context() as patch:
        patch.setattr(coupons, "coupon_values", _broken)
        again = client.post(url, headers={**hq, "Accept-Language": "zh"})
    assert again.status_code == 409
    assert again.get_json()["message"] == "欢迎礼未能发放：新客券未能发放。"
    with app.app_context():
        assert _counts() == dict.fromkeys(_counts(), 0) and _issued() == 0
    given = client.post(url, headers=hq)
    assert given.status_code == 200 and given.get_json() == {"points": 100, "coupon": True}
    with app.app_context():
        _one_welcome(cid)
        assert db.session.scalars(select(OutboxMessage.status)).one() == "done"
        assert drain() == 0
        _alert_closed()
    twice = client.post(url, headers=hq)
    assert (twice.status_code, twice.get_json()["code"]) == (409, "welcome_given")


def test_the_customer_page_shows_the_waiting_welcome_and_hq_gives_it(app, client, org, monkeypatch):
    cid = _failed_login(app, client, org, monkeypatch, POINTS_STEP, "code-welcome-page")
    page = f"/admin/customers/{cid}"
    login(client, "owner-a")
    seen = client.get(page).get_data(as_text=True)
    assert "尚未发放：系统自动重试中" in seen and "立即发放欢迎礼" not in seen  # HQ's button
    client.post("/admin/logout")
    login(client, "hq")
    seen = client.get(page).get_data(as_text=True)
    assert "欢迎礼" in seen and "尚未发放：系统自动重试中" in seen and "立即发放欢迎礼" in seen
    done = post_form(client, page, {}, action=f"{page}/welcome")
    assert done.status_code == 303
    seen = client.get(page).get_data(as_text=True)
    assert "欢迎礼已发放。" in seen and "首次登录后已补发" in seen and "立即发放欢迎礼" not in seen
    with app.app_context():
        _one_welcome(cid)


def test_a_retry_that_keeps_failing_writes_nothing_and_tells_hq_when_it_gives_up(
    app, client, org, monkeypatch
):
    cid = _failed_login(app, client, org, monkeypatch, COUPON_STEP, "code-welcome-again")
    monkeypatch.setattr(coupons, "coupon_values", _broken)
    with app.app_context():
        assert drain() == 1
        message = db.session.scalars(select(OutboxMessage)).one()
        assert (message.status, message.attempts) == (PENDING, 1)
        assert "injected welcome failure" in message.last_error
        assert _counts() == dict.fromkeys(_counts(), 0) and _issued() == 0  # all or nothing
        db.session.execute(
            update(OutboxMessage).values(attempts=MAX_ATTEMPTS - 1, available_at=utcnow())
        )
        db.session.commit()
        assert drain() == 1
        assert db.session.scalars(select(OutboxMessage.status)).one() == DEAD
        alert = db.session.scalars(select(Alert).where(Alert.code == "welcome_failed")).one()
        assert alert.count == 2 and alert.params["reason"] == welcome_retry.GAVE_UP
        assert alert.params["customer_id"] == cid and alert.hq_acknowledged_at is None
        assert _counts() == dict.fromkeys(_counts(), 0)
        _balanced()


def test_a_concurrent_first_login_of_the_same_person_still_meets_the_unique_key(
    app, client, org, monkeypatch
):
    """The fallback's insert of the customer meets the unique openid as the first try
    did, so the login answers as before (here the lookup is blinded, so the row is never
    found: 409 after its one more try) with no alert and nothing queued."""
    from franchise.services import customer_login

    first, second = _codes(client, "twin", 2)
    assert client.post("/api/v1/mp/session", json={"code": first, **SH}).status_code == 200
    monkeypatch.setattr(customer_login, "_KEPT", "siyu_login_find_blind")
    monkeypatch.setattr(customer_login, "_FIND", customer_login._FIND.where(text("1 = 0")))
    answer = client.post("/api/v1/mp/session", json={"code": second, **SH})
    assert answer.status_code == 409, answer.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
        assert db.session.scalar(select(func.count()).select_from(Member)) == 1
        assert db.session.scalar(select(func.count()).select_from(Alert)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.postgres
def test_the_welcome_statement_s_sql_rules_are_the_python_rules(app):
    """``members.number_sql`` and ``points_book.account_code_sql`` give what
    ``number_of`` and ``account_code`` give, for short and ten-digit ids."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the one-statement welcome is PostgreSQL's")
        for cid in (1, 42, 999_999_999, 1_234_567_890, 98_765_432_109):
            sql = f"SELECT {number_sql(':id')}, {account_code_sql('member', ':id')}"
            row = db.session.execute(text(sql.replace(":id", "CAST(:cid AS bigint)")), {"cid": cid})
            assert tuple(row.one()) == (number_of(cid), account_code("member", cid))


_REFUSE_LOTS = {  # a database refusal of the lot insert (the points step): create, drop
    "postgresql": (
        [
            "CREATE FUNCTION welcome_test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$BEGIN RAISE EXCEPTION 'lots refused'; END$$",
            "CREATE TRIGGER welcome_test_refuse BEFORE INSERT ON point_lots"
            " FOR EACH ROW EXECUTE FUNCTION welcome_test_refuse()",
        ],
        [
            "DROP TRIGGER IF EXISTS welcome_test_refuse ON point_lots",
            "DROP FUNCTION IF EXISTS welcome_test_refuse()",
        ],
    ),
    "sqlite": (
        [
            "CREATE TRIGGER welcome_test_refuse BEFORE INSERT ON point_lots"
            " BEGIN SELECT RAISE(ABORT, 'lots refused'); END"
        ],
        ["DROP TRIGGER IF EXISTS welcome_test_refuse"],
    ),
}


def _run(statements: list[str]) -> None:
    for sql in statements:
        db.session.execute(text(sql))
    db.session.commit()


def test_a_database_refusal_inside_the_welcome_statement_is_rolled_back_whole(app, client, org):
    """The database itself refuses a row of the welcome (on PostgreSQL inside the one
    statement): the customer is committed alone, nothing of the welcome stays, and the
    retry gives it once the refusal is gone."""
    with app.app_context():
        gen_template({org.east: 5}, kind="new_customer", name="新客券")
        create, drop = _REFUSE_LOTS[db.engine.dialect.name]
        _run(create)
    try:
        answer = client.post("/api/v1/mp/session", json={"code": "code-welcome-refused", **SH})
        assert answer.status_code == 200, answer.get_json()
        cid = answer.get_json()["customer"]["id"]
        with app.app_context():
            assert _counts() == dict.fromkeys(_counts(), 0) and _issued() == 0
            alert = db.session.scalars(select(Alert)).one()
            assert alert.params["reason"] == POINTS_STEP and "lots refused" in alert.params["error"]
    finally:
        with app.app_context():
            _run(drop)
    with app.app_context():
        assert drain() == 1
        _one_welcome(cid)
