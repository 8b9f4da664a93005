"""Points expire on HQ's rule (end of the year after they were earned), oldest first,
once per day however often the job runs; the reminder hands the members whose points
expire in ``reminder_days`` to the ``POINTS_EXPIRING`` listeners."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.clock import shanghai_day
from app.extensions import add_hook, db
from franchise.models import Member, PointLot, PointTransaction
from franchise.services import member_settings, points_book, points_expiry
from tests.franchise.factories_members import paid_order, spend_elsewhere
from tests.franchise.factories_payments import gen_customer


def _member(cid: int) -> Member:
    return db.session.scalars(select(Member).where(Member.customer_id == cid)).one()


def test_expiry_takes_what_is_left_of_the_oldest_points_once(app, org):
    today = shanghai_day()
    end = date(today.year + 1, 12, 31)
    with app.app_context():
        spender, keeper = gen_customer(org.fa).id, gen_customer(org.fb).id
        paid_order(spender, org.fa, 30_000)  # 300 points
        paid_order(keeper, org.fb, 10_000)  # 100 points
        assert points_expiry.expiring(_member(spender)) == [{"points": 300, "on": end}]
        # spend 120 through an exchange-like burn: consumed first from the oldest lot
        spend_elsewhere(spender, org.fa, 120)
        assert points_expiry.expiring(_member(spender)) == [{"points": 180, "on": end}]

        assert points_expiry.expire(end) == 0  # still usable on their last day
        assert points_expiry.expire(end + timedelta(days=1)) == 2
        assert points_expiry.expire(end + timedelta(days=1)) == 0  # the same day again
        db.session.expire_all()
        assert _member(spender).points == 0 and _member(keeper).points == 0
        assert db.session.scalar(select(func.count()).select_from(PointLot)) == 0
        expired = select(func.sum(PointTransaction.points)).where(PointTransaction.kind == "expiry")
        assert db.session.scalar(expired) == 280
        assert points_book.unbalanced_transactions() == []
        assert points_book.balances_disagree() == []
        assert points_book.account_balance("expired:hq") == 280


def test_days_rule_and_the_reminder_hook(app, org):
    today = shanghai_day()
    heard: list = []
    add_hook(app, points_expiry.POINTS_EXPIRING, heard.extend)
    with app.app_context():
        member_settings.save({"expiry": "days", "expiry_days": 40, "reminder_days": 7})
        cid = gen_customer(org.fa).id
        paid_order(cid, org.fa, 25_000)
        on = today + timedelta(days=40)
        assert points_expiry.remind(on - timedelta(days=8)) == 0
        assert points_expiry.remind(on - timedelta(days=7)) == 1
        assert heard == [(cid, 250, on)]
