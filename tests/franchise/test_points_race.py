"""Eight orders racing to spend the same points spend them once: one order is placed,
the others answer 422 on ``points`` and change nothing (the conditional update of the
member's balance), on SQLite as on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from franchise.models import Member, Order, PointTransaction
from tests.fixtures.concurrency import storm
from tests.franchise.factories_members import gen_product, paid_order
from tests.franchise.factories_payments import customer_headers, gen_customer

RACERS = 8


def test_racing_orders_spend_the_same_points_once(app, org):
    with app.app_context():
        cid = gen_customer(org.fa).id
        paid_order(cid, org.fa, 50_000)  # 500 points
        product_id = gen_product(100_000).id
        headers = customer_headers(cid)
    body = {"items": [{"product_id": product_id, "quantity": 1}], "points": 400}

    def spend(own):
        res = own.post("/api/v1/mp/orders", json=body, headers=headers)
        return res.status_code, res.get_json()

    answers = storm(app, [spend] * RACERS)
    codes = sorted(code for code, _ in answers)
    assert codes == [201] + [422] * (RACERS - 1), answers
    assert all("points" in str(a["errors"]) for code, a in answers if code == 422)
    with app.app_context():
        assert db.session.scalar(select(Member.points).where(Member.customer_id == cid)) == 100
        burns = select(func.count()).where(PointTransaction.kind == "burn")
        assert db.session.scalar(burns) == 1
        assert db.session.scalar(select(func.count()).select_from(Order)) == 2
