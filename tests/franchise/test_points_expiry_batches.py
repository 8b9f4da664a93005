"""The nightly expiry and reminder in batches: the expiry settles each member whole per
batch of member ids (the same result in batches of one as in one), the reminder pages
by member id and hands each member on once with what they lose; entries without
foreign keys are checked by ``orphan_entries``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from app.clock import shanghai_day
from app.extensions import add_hook, db
from franchise.models import Member, PointEntry, PointLot, PointTransaction
from franchise.services import member_settings, points_book, points_expiry
from tests.franchise.factories_members import paid_order, spend_elsewhere
from tests.franchise.factories_payments import gen_customer


def test_batches_of_one_member_settle_everyone_once(app, org):
    today = shanghai_day()
    heard: list = []
    add_hook(app, points_expiry.POINTS_EXPIRING, heard.extend)
    with app.app_context():
        member_settings.save({"expiry": "days", "expiry_days": 30, "reminder_days": 5})
        ids = [gen_customer(org.fa).id for _ in range(4)]
        for n, cid in enumerate(ids):
            paid_order(cid, org.fa, 10_000 * (n + 1))  # 100, 200, 300, 400 points
        spend_elsewhere(ids[1], org.fa, 50)
        on = today + timedelta(days=30)

        assert points_expiry.remind(on - timedelta(days=5), batch=1) == 4
        assert sorted(heard) == sorted(
            [(ids[0], 100, on), (ids[1], 150, on), (ids[2], 300, on), (ids[3], 400, on)]
        )
        assert points_expiry.expire(on + timedelta(days=1), batch=1) == 4
        assert points_expiry.expire(on + timedelta(days=1), batch=1) == 0  # again: nothing
        db.session.expire_all()
        held = db.session.scalars(select(Member.points).where(Member.customer_id.in_(ids)))
        assert set(held) == {0}
        assert db.session.scalar(select(func.count()).select_from(PointLot)) == 0
        taken = select(func.sum(PointTransaction.points)).where(PointTransaction.kind == "expiry")
        assert db.session.scalar(taken) == 100 + 150 + 300 + 400
        assert points_book.unbalanced_transactions() == []
        assert points_book.balances_disagree() == []
        assert points_book.orphan_entries() == []


def test_an_entry_without_its_transaction_is_found(app, org):
    with app.app_context():
        paid_order(gen_customer(org.fa).id, org.fa, 10_000)
        assert points_book.orphan_entries() == []
        account = db.session.scalar(select(PointEntry.account_id).limit(1))
        db.session.execute(
            insert(PointEntry).values(transaction_id=10**9, account_id=account, debit=1, credit=0)
        )
        db.session.commit()
        assert len(points_book.orphan_entries()) == 1
