"""Found by the points property: a second expiry run on the same day, after new lots
that had already ended, lowered the balance without posting (the day's key was taken)."""

from __future__ import annotations

from datetime import timedelta

from app.clock import shanghai_day
from app.extensions import db
from franchise.services import points_book, points_expiry
from tests.franchise.factories import build_org
from tests.franchise.factories_members import paid_order
from tests.franchise.factories_payments import gen_customer


def test_two_runs_of_one_day_each_post_what_they_take(app):
    with app.app_context():
        org = build_org()
        customer = gen_customer(org.fa).id
        later = shanghai_day() + timedelta(days=400)
        paid_order(customer, org.fa, 100)
        assert points_expiry.expire(later) == 1
        paid_order(customer, org.fa, 100)
        assert points_expiry.expire(later) == 1  # the new lot ended too: posted again
        db.session.expire_all()
        assert points_book.balances_disagree() == []
        assert points_book.unbalanced_transactions() == []
        assert points_book.orphan_entries() == []
