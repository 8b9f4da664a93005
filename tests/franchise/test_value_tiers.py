"""RFM value tiers: scores, labels, the refresh pass, the CLI command and the nightly job."""

from __future__ import annotations

from datetime import timedelta

from app.clock import utcnow
from app.extensions import db, registry
from franchise.models import Customer, Order, Store
from franchise.services.value_tiers import classify, refresh_value_tiers
from tests.franchise.factories_customers import gen_customer

CUT = {
    "recency_high_days": 30,
    "recency_mid_days": 180,
    "frequency_high": 4,
    "frequency_mid": 2,
    "monetary_high_fen": 1_000_000,
    "monetary_mid_fen": 200_000,
}


def test_classify_labels():
    assert classify(None, 0, 0, CUT) == ("low", "新客")
    assert classify(3, 5, 2_000_000, CUT) == ("high", "高价值·忠诚")
    assert classify(60, 2, 300_000, CUT) == ("mid", "中价值·待唤醒")
    assert classify(400, 1, 1000, CUT) == ("low", "沉睡")
    assert classify(10, 1, 5000, CUT) == ("mid", "中价值·新近")


def _order(customer, n, paid_fen, days_ago, status="completed", refunded=0):
    when = utcnow() - timedelta(days=days_ago)
    db.session.add(
        Order(
            order_no=f"O{customer.id}-{n}",
            customer_id=customer.id,
            franchisee_id=customer.franchisee_id,
            status=status,
            total_fen=paid_fen,
            payable_fen=paid_fen,
            paid_fen=paid_fen,
            refunded_fen=refunded,
            paid_at=when,
            created_at=when,
        )
    )


def test_refresh_computes_rfm_from_paid_orders(ctx, org):
    store = db.session.get(Store, org.sa)
    loyal, lapsed, fresh = gen_customer(store), gen_customer(store), gen_customer(store)
    for n in range(5):
        _order(loyal, n, 400_000, days_ago=5 + n * 30)
    _order(loyal, 9, 900_000, days_ago=1, status="created")  # unpaid: ignored
    _order(lapsed, 1, 300_000, days_ago=500)
    _order(lapsed, 2, 300_000, days_ago=90, refunded=300_000)
    db.session.commit()
    assert refresh_value_tiers() == 3
    db.session.expire_all()
    assert (loyal.order_count, loyal.monetary_fen, loyal.recency_days) == (5, 2_000_000, 5)
    assert (loyal.value_tier, loyal.tier_label) == ("high", "高价值·忠诚")
    assert lapsed.order_count == 1 and lapsed.monetary_fen == 0 and lapsed.recency_days == 90
    assert lapsed.tier_label == "低价值·待唤醒"
    assert (fresh.value_tier, fresh.tier_label, fresh.last_order_at) == ("low", "新客", None)


def test_cli_and_job(app, org):
    with app.app_context():
        gen_customer(db.session.get(Store, org.sa))
    result = app.test_cli_runner().invoke(args=["franchise", "refresh-tiers"])
    assert result.exit_code == 0 and "1 customer" in result.output
    job = next(j for j in registry(app).jobs if j["id"] == "franchise.value_tiers")
    assert job["trigger"] == "cron" and (job["args"]["hour"], job["args"]["minute"]) == (2, 30)
    with app.app_context():
        assert db.session.query(Customer).one().tier_label == "新客"


def test_assign_all_cli_with_progress(app, org):
    with app.app_context():
        store = db.session.get(Store, org.sb)
        stuck = gen_customer(store, city="上海")
        store.is_open = False
        db.session.commit()
        stuck_id = stuck.id
    result = app.test_cli_runner().invoke(args=["franchise", "assign-all"])
    assert result.exit_code == 0 and "Assigned 1 of 1" in result.output
    with app.app_context():
        assert db.session.get(Customer, stuck_id).store_id == org.sa
    again = app.test_cli_runner().invoke(args=["franchise", "assign-all"])
    assert "No customers waiting" in again.output


def test_a_year_of_spend_past_two_to_the_31_fen(ctx, org):
    """A collector's 12 months: two ¥15 million orders and one of ¥9 million, each under
    2**31 fen, together ¥39 million (monetary_fen is BIGINT)."""
    whale = gen_customer(db.session.get(Store, org.sa))
    for n, fen in enumerate((1_500_000_000, 1_500_000_000, 900_000_000)):
        _order(whale, n, fen, days_ago=10 + n)
    db.session.commit()
    refresh_value_tiers()
    db.session.expire_all()
    assert (whale.order_count, whale.monetary_fen) == (3, 3_900_000_000)
