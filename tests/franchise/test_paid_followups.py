"""What follows a payment runs off the notify's path: ``ORDER_PAID`` listeners hear each
paid order once, a minute after it, in one batch per run."""

from __future__ import annotations

from datetime import timedelta

from app.clock import utcnow
from app.extensions import add_hook, db, get_redis, remove_hook
from franchise.jobs.paid_followups import MARK_KEY, ORDER_PAID, run_paid_followups
from tests.franchise.factories_commerce import gen_customer
from tests.franchise.factories_payments import gen_order_to_pay, post_notify


def test_each_paid_order_is_heard_once_and_a_failing_listener_stops_no_other(app, org, client):
    heard: list = []

    def broken(rows):
        raise RuntimeError("boom")

    add_hook(app, ORDER_PAID, broken)
    add_hook(app, ORDER_PAID, heard.extend)
    try:
        with app.app_context():
            get_redis().delete(MARK_KEY)
            customer = gen_customer(org.fa, org.sa)
            order = gen_order_to_pay(customer, 50000)
            out_trade_no, order_id, customer_id = order.out_trade_no, order.id, customer.id
        assert post_notify(client, app, out_trade_no, 50000, "4200FOLLOW1") == "SUCCESS"
        with app.app_context():
            assert run_paid_followups()["orders"] == 0  # not before a minute has passed
            later = utcnow() + timedelta(minutes=2)
            assert run_paid_followups(now=later)["failed_listeners"] == 1
            assert [(r.order_id, r.customer_id) for r in heard] == [(order_id, customer_id)]
            assert run_paid_followups(now=later)["orders"] == 0  # the mark moved on
            assert len(heard) == 1
    finally:
        remove_hook(app, ORDER_PAID, broken)
        remove_hook(app, ORDER_PAID, heard.extend)


def test_the_notify_path_runs_no_listener(app):
    from app.extensions import registry

    names = {getattr(h, "__name__", "") for h in registry(app).pay_notify_handlers}
    assert names == {"handle_notify"}
    assert {"on_paid", "extend_binding_on_paid", "earn_on_paid"} <= {
        getattr(h, "__name__", "") for h in registry(app).hooks[ORDER_PAID]
    }


def test_a_paid_order_earns_its_points_through_the_hook_once(app, org, client):
    from sqlalchemy import func, select

    from franchise.models import Member, PointTransaction
    from franchise.services import points

    with app.app_context():
        get_redis().delete(MARK_KEY)
        customer = gen_customer(org.fa, org.sa)
        order = gen_order_to_pay(customer, 30000)
        out_trade_no, customer_id = order.out_trade_no, customer.id
    assert post_notify(client, app, out_trade_no, 30000, "4200EARNHOOK1") == "SUCCESS"
    with app.app_context():
        later = utcnow() + timedelta(minutes=2)
        assert run_paid_followups(now=later) == {"orders": 1, "failed_listeners": 0}
        held = select(Member.points).where(Member.customer_id == customer_id)
        assert db.session.scalar(held) == 300  # earned without the member looking
        get_redis().delete(MARK_KEY)  # a lost mark: the last hour is heard again
        assert run_paid_followups(now=later)["orders"] == 1
        assert points.earn_paid() == 0  # the nightly sweep finds nothing left
        earns = select(func.count()).where(PointTransaction.kind == "earn")
        assert db.session.scalar(earns) == 1 and db.session.scalar(held) == 300
