"""A new customer's first login with a share code (the live surge's login, issue 20):
the customer and the code's owner read in one statement, and on PostgreSQL the
customer, history, member, level change, sign-up posting and coupon written by one
statement (``franchise.services.welcome_pg``) holding exactly the rows the Core path
writes on SQLite — the member number, the posting's key, the member's account, balanced
entries, the lot, the coupon and its budget unit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from franchise.models import (
    AssignmentHistory,
    Coupon,
    CouponBudget,
    CouponTemplate,
    Customer,
    Guide,
    Member,
    MemberLevelChange,
    PointAccount,
    PointEntry,
    PointLot,
    PointTransaction,
)
from franchise.services import member_settings, points_book
from franchise.services.customers import guide_share_code
from franchise.services.members import number_of
from tests.fixtures.concurrency import storm
from tests.fixtures.statements import statements
from tests.franchise.factories_commerce import gen_template


def _share_login(app, client, org, code: str) -> tuple[dict, list[str]]:
    with app.app_context():
        share = guide_share_code(db.session.get(Guide, org.ga)).code
    with app.app_context(), statements() as seen:
        answer = client.post("/api/v1/mp/session", json={"code": code, "share_code": share})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json(), seen


def _is_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def _welcome_rows(customer_id: int) -> dict:
    """What the welcome wrote for ``customer_id``, in a form both databases compare."""
    member = db.session.scalars(select(Member).where(Member.customer_id == customer_id)).one()
    tx = db.session.scalars(
        select(PointTransaction).where(PointTransaction.customer_id == customer_id)
    ).one()
    entries = db.session.execute(
        select(PointAccount.code, PointAccount.kind, PointEntry.debit, PointEntry.credit)
        .join(PointAccount, PointAccount.id == PointEntry.account_id)
        .where(PointEntry.transaction_id == tx.id)
        .order_by(PointAccount.code)
    ).all()
    account = db.session.scalars(
        select(PointAccount).where(PointAccount.code == f"member:{customer_id}")
    ).one()
    return {
        "number": member.number,
        "level": member.level,
        "points": (member.points, member.points_consumed),
        "joined": db.session.execute(
            select(MemberLevelChange.to_level, MemberLevelChange.reason).where(
                MemberLevelChange.member_id == member.id
            )
        ).all(),
        "tx": (tx.idempotency_key, tx.kind, tx.points, tx.member_points, tx.memo),
        "tx_franchisee": tx.franchisee_id,
        "entries": [tuple(row) for row in entries],
        "account": (account.kind, account.customer_id, account.franchisee_id),
        "lots": db.session.execute(
            select(PointLot.points).where(PointLot.member_id == member.id)
        ).all(),
        "coupons": db.session.execute(
            select(Coupon.template_id, Coupon.status, Coupon.franchisee_id).where(
                Coupon.customer_id == customer_id
            )
        ).all(),
    }


def test_a_share_code_login_reads_the_customer_and_the_code_in_one_statement(app, client, org):
    """Rule 1 from the same row as the lookup: one SELECT names the share codes and the
    customers; on PostgreSQL the whole new customer is 2 statements with the coupon (the
    lookup, the welcome) and the contacts hook's, once HQ's rules are in memory."""
    with app.app_context():
        gen_template({org.east: 5}, kind="new_customer", name="新客券")
    body, seen = _share_login(app, client, org, "code-welcome-one")
    assert body["created"] is True
    assert body["customer"] == {
        "id": body["customer"]["id"],
        "franchisee_id": org.fa,
        "store_id": org.sa,
        "guide_id": org.ga,
    }
    code_reads = [s for s in seen if "FROM share_codes" in s]
    assert len(code_reads) == 1 and "FROM customers" in code_reads[0]
    if _is_postgres(app):  # + HQ's settings and templates, read once into memory
        assert len(seen) <= 5, seen  # 17 before
    _body, seen = _share_login(app, client, org, "code-welcome-two")
    if _is_postgres(app):  # the lookup, the welcome, the contacts hook
        assert len(seen) <= 3, seen
    with app.app_context():
        history = db.session.scalars(
            select(AssignmentHistory).order_by(AssignmentHistory.id)
        ).first()
        assert (history.customer_id, history.rule, history.to_guide_id) == (
            body["customer"]["id"],
            "share_code",
            org.ga,
        )


def test_the_welcome_writes_the_rows_the_core_path_writes(app, client, org):
    """Member number, posting key, member account, entries, lot and coupon as Python
    names them (the one PostgreSQL statement computes the id-dependent ones); the book
    balances and the member's balance is their account's."""
    with app.app_context():
        template_id = gen_template({org.east: 5}, kind="new_customer", name="新客券").id
    body, _ = _share_login(app, client, org, "code-welcome-rows")
    cid = body["customer"]["id"]
    with app.app_context():
        rows = _welcome_rows(cid)
        assert rows == {
            "number": number_of(cid),
            "level": "regular",
            "points": (100, 0),
            "joined": [("regular", "joined")],
            "tx": (f"event:signup:{cid}", "event", 100, 100, "signup"),
            "tx_franchisee": org.fa,
            "entries": [
                (f"carrier:{org.fa}", "carrier", 100, 0),
                (f"member:{cid}", "member", 0, 100),
            ],
            "account": ("member", cid, None),
            "lots": [(100,)],
            "coupons": [(template_id, "issued", org.fa)],
        }
        assert points_book.unbalanced_transactions() == []
        assert points_book.balances_disagree() == []
        assert points_book.orphan_entries() == []
        budget = db.session.scalars(
            select(CouponBudget).where(CouponBudget.template_id == template_id)
        ).one()
        assert budget.issued_count == 1


def test_a_split_carrier_posts_to_both_carriers_and_makes_their_accounts(app, client, org):
    """HQ splits the sign-up cost: two carrier lines, both accounts made by the login
    (none existed), no coupon template at all."""
    with app.app_context():
        member_settings.save({"carrier": "split", "franchisee_share_pct": 30})
    body, _ = _share_login(app, client, org, "code-welcome-split")
    cid = body["customer"]["id"]
    with app.app_context():
        rows = _welcome_rows(cid)
        assert rows["entries"] == [
            (f"carrier:{org.fa}", "carrier", 30, 0),
            ("carrier:hq", "carrier", 70, 0),
            (f"member:{cid}", "member", 0, 100),
        ]
        assert rows["coupons"] == [] and rows["points"] == (100, 0)
        hq = db.session.scalars(select(PointAccount).where(PointAccount.code == "carrier:hq"))
        assert hq.one().franchisee_id is None
        assert points_book.balances_disagree() == []
    second, _ = _share_login(app, client, org, "code-welcome-split-2")  # accounts exist now
    with app.app_context():
        assert _welcome_rows(second["customer"]["id"])["points"] == (100, 0)
        carriers = (
            select(func.count()).select_from(PointAccount).where(PointAccount.kind == "carrier")
        )
        assert db.session.scalar(carriers) == 2


def test_no_signup_points_writes_no_posting(app, client, org):
    with app.app_context():
        member_settings.save({"signup_points": 0})
    body, _ = _share_login(app, client, org, "code-welcome-nopoints")
    with app.app_context():
        member = db.session.scalars(
            select(Member).where(Member.customer_id == body["customer"]["id"])
        ).one()
        assert (member.points, member.number) == (0, number_of(body["customer"]["id"]))
        assert db.session.scalar(select(func.count()).select_from(PointTransaction)) == 0


def test_the_newest_template_s_used_up_budget_falls_back_to_the_next_template(app, client, org):
    """The statement tries the newest current template; its budget used up, the next
    one is issued in the same transaction (as the loop always did)."""
    with app.app_context():
        older = gen_template({org.east: 5}, kind="new_customer", name="旧新客券").id
        newer = gen_template({org.east: 1}, kind="new_customer", name="新新客券").id
        db.session.execute(
            CouponBudget.__table__.update()
            .where(CouponBudget.template_id == newer)
            .values(issued_count=1)
        )
        db.session.commit()
    body, _ = _share_login(app, client, org, "code-welcome-fallback")
    with app.app_context():
        assert _welcome_rows(body["customer"]["id"])["coupons"] == [(older, "issued", org.fa)]
        issued = dict(
            db.session.execute(select(CouponBudget.template_id, CouponBudget.issued_count)).all()
        )
        assert issued == {older: 1, newer: 1}


@pytest.mark.postgres
def test_a_ten_digit_customer_id_keeps_every_digit_of_its_member_number(app, client, org):
    """The database pads the number the way ``number_of`` does and never cuts it."""
    if not _is_postgres(app):
        pytest.skip("the one-statement welcome is PostgreSQL's")
    with app.app_context():
        db.session.execute(text("SELECT setval('customers_id_seq', 1234567890)"))
        db.session.commit()
    body, _ = _share_login(app, client, org, "code-welcome-long")
    assert body["customer"]["id"] == 1234567891
    with app.app_context():
        assert _welcome_rows(1234567891)["number"] == number_of(1234567891) == "M1234567891"
        assert db.session.get(Customer, 1234567891).assignment_rule == "share_code"


@pytest.mark.postgres
def test_first_logins_racing_to_make_the_carrier_account_all_succeed(app, client, org):
    """Eight new customers of a franchisee with no carrier account yet, at once: an entry
    whose account another login made after the statement's snapshot is refused (NOT NULL)
    and the login tries once more; every customer is welcomed, one carrier account, the
    book balances."""
    with app.app_context():
        share = guide_share_code(db.session.get(Guide, org.ga)).code

    def log_in(n: int):
        def call(own):
            answer = own.post(
                "/api/v1/mp/session", json={"code": f"code-welcome-race-{n}", "share_code": share}
            )
            return answer.status_code, answer.get_json().get("created")

        return call

    answers = storm(app, [log_in(n) for n in range(8)])
    assert answers == [(200, True)] * 8, answers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == 8
        accounts = select(PointAccount.code).where(PointAccount.kind == "carrier")
        assert db.session.scalars(accounts).all() == [f"carrier:{org.fa}"]
        assert db.session.scalar(select(func.sum(Member.points))) == 800
        assert points_book.unbalanced_transactions() == []
        assert points_book.balances_disagree() == []


def test_what_hq_changes_reaches_the_next_new_customer(app, client, org):
    """The welcome's settings and templates are kept in memory (``WELCOME_RULES``): HQ's
    committed change — a template switched off, the sign-up points changed — applies
    to the very next first login."""
    with app.app_context():
        template_id = gen_template({org.east: 5}, kind="new_customer", name="新客券").id
    first, _ = _share_login(app, client, org, "code-welcome-hq-1")
    with app.app_context():
        db.session.get(CouponTemplate, template_id).is_active = False
        db.session.commit()
        member_settings.save({"signup_points": 30})
    second, _ = _share_login(app, client, org, "code-welcome-hq-2")
    with app.app_context():
        assert _welcome_rows(first["customer"]["id"])["coupons"] == [
            (template_id, "issued", org.fa)
        ]
        rows = _welcome_rows(second["customer"]["id"])
        assert rows["coupons"] == [] and rows["points"] == (30, 0)


def test_code2session_waits_with_no_transaction_open(app, client, org, monkeypatch):
    """WeChat's answer is awaited holding no transaction and no pooled connection (a
    slow WeChat under a surge must not hold PostgreSQL's connections)."""
    from app.wechat import miniprogram

    exchange = miniprogram.code_to_session
    seen: list[tuple[bool, int]] = []

    def watched(code):
        seen.append((db.session().in_transaction(), db.engine.pool.checkedout()))
        return exchange(code)

    monkeypatch.setattr(miniprogram, "code_to_session", watched)
    body, _ = _share_login(app, client, org, "code-welcome-idle")
    assert body["created"] is True
    assert seen == [(False, 0)]
