"""Trade-in of old gold (issue 19): weight and purity inside what the store can test
(422 naming the field), valued at the day's buy-back price, credited against a new
purchase (its payable falls by the value; the ledger's old_gold line is the intake
franchisee's and the ledger balances, also through the payment) or paid out, released
when the order is cancelled, each step recorded; tenancy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from franchise.models import Customer, LedgerTransaction, Order
from franchise.services import ledger
from franchise.services.trade_in import value_fen
from tests.fixtures.auth import api_token, bearer
from tests.franchise.factories_jewellery import enter_price
from tests.franchise.factories_payments import pay_and_succeed


@given(st.integers(100, 1_000_000), st.integers(375, 999), st.integers(1, 1_000_000))
def test_value_is_weight_times_purity_times_buyback_rounded_once(weight, purity, price):
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(weight) / 1000 * Decimal(purity) / 1000 * price
    assert value_fen(weight, purity, price) == int(exact.quantize(Decimal(1), ROUND_HALF_UP))


@pytest.fixture
def guide_a(client, shop, as_hq):
    enter_price(client, as_hq, "gold", 620_00, 560_00)
    return bearer(api_token(client, "guide-a"))


def _take_in(client, headers, customer_id, **kw):
    body = {
        "customer_id": customer_id,
        "metal": "gold",
        "weight_mg": 10_520,
        "purity_permille": 999,
    }
    return client.post("/api/v1/trade-ins", json={**body, **kw}, headers=headers)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight_mg": 50}, "weight_mg"),
        ({"weight_mg": 2_000_000}, "weight_mg"),
        ({"purity_permille": 300}, "purity_permille"),
        ({"purity_permille": 1000}, "purity_permille"),
        ({"metal": "platinum", "purity_permille": 800}, "purity_permille"),
        ({"metal": "copper"}, "metal"),
    ],
)
def test_out_of_bounds_is_422_and_nothing_is_written(client, app, shop, guide_a, change, field):
    answer = _take_in(client, guide_a, shop.ca, **change)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]
    assert client.get("/api/v1/trade-ins", headers=guide_a).get_json()["total"] == 0


def test_old_chain_credited_reduces_the_payable_and_the_ledger_balances(
    client, app, org, shop, guide_a, as_ca
):
    taken = _take_in(client, guide_a, shop.ca, description="旧足金项链")
    assert taken.status_code == 201, taken.get_json()
    chain = taken.get_json()
    assert chain["value_fen"] == value_fen(10_520, 999, 560_00) == 5_885_31
    # a new purchase worth more than the chain: twenty pearl studs, ¥6,000
    body = {"items": [{"product_id": shop.pearl, "quantity": 20}]}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    credited = client.post(
        f"/api/v1/trade-ins/{chain['id']}/credit", json={"order_id": order["id"]}, headers=guide_a
    )
    assert credited.status_code == 200, credited.get_json()
    assert [e["step"] for e in credited.get_json()["events"]] == ["valued", "credited"]
    with app.app_context():
        row = db.session.get(Order, order["id"])
        assert row.payable_fen == 6000_00 - chain["value_fen"]
    again = client.post(
        f"/api/v1/trade-ins/{chain['id']}/credit", json={"order_id": order["id"]}, headers=guide_a
    )
    assert again.status_code == 409
    pay_and_succeed(client, order["id"], shop.ca, app)
    with app.app_context():
        assert ledger.account_balance(org.fa, "old_gold") == chain["value_fen"]
        kinds = db.session.scalars(
            select(LedgerTransaction.kind).where(LedgerTransaction.order_id == order["id"])
        ).all()
        assert "trade_in" in kinds and "payment" in kinds
        assert ledger.unbalanced_transactions() == []
        # sales = what WeChat paid + the gold's value = the order's total
        assert -ledger.account_balance(org.fa, "sales") == 6000_00
    from tests.fixtures.auth import login

    login(client, "hq")  # HQ reads the trial balance: the old gold account in words
    page = client.get("/admin/ledger").get_data(as_text=True)
    assert "old_gold<" not in page and any(w in page for w in ("回收旧金", "Old gold taken in"))


def test_credit_is_released_when_the_order_is_cancelled(client, app, org, shop, guide_a, as_ca):
    chain = _take_in(client, guide_a, shop.ca).get_json()
    body = {"items": [{"product_id": shop.pearl, "quantity": 20}]}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    client.post(
        f"/api/v1/trade-ins/{chain['id']}/credit", json={"order_id": order["id"]}, headers=guide_a
    )
    client.post(f"/api/v1/mp/orders/{order['id']}/cancel", json={}, headers=as_ca)
    rows = client.get("/api/v1/trade-ins", headers=guide_a).get_json()["items"]
    assert rows[0]["status"] == "valued" and rows[0]["order_id"] is None
    assert [e["step"] for e in rows[0]["events"]] == ["valued", "credited", "released"]
    with app.app_context():
        assert ledger.account_balance(org.fa, "old_gold") == 0
        assert ledger.unbalanced_transactions() == []
    paid_out = client.post(f"/api/v1/trade-ins/{chain['id']}/payout", headers=guide_a)
    assert paid_out.status_code == 200 and paid_out.get_json()["status"] == "paid_out"
    with app.app_context():
        assert ledger.account_balance(org.fa, "old_gold") == chain["value_fen"]


def test_credit_needs_a_bigger_unpaid_order_of_the_same_customer(client, app, shop, guide_a, as_ca):
    chain = _take_in(client, guide_a, shop.ca).get_json()
    small = client.post(
        "/api/v1/mp/orders",
        json={"items": [{"product_id": shop.pearl, "quantity": 1}]},
        headers=as_ca,
    ).get_json()
    answer = client.post(
        f"/api/v1/trade-ins/{chain['id']}/credit", json={"order_id": small["id"]}, headers=guide_a
    )
    assert answer.status_code == 422 and "order_id" in answer.get_json()["errors"]
    with app.app_context():
        assert db.session.get(Order, small["id"]).payable_fen == 300_00


def test_tenancy(client, app, shop, guide_a):
    chain = _take_in(client, guide_a, shop.ca).get_json()
    owner_b = bearer(api_token(client, "owner-b"))
    assert (
        client.post(f"/api/v1/trade-ins/{chain['id']}/payout", headers=owner_b).status_code == 404
    )
    assert _take_in(client, owner_b, shop.ca).status_code == 422  # not B's customer
    with app.app_context():
        from tests.franchise.factories_commerce import customer_headers

        mine = customer_headers(shop.ca)
        theirs = customer_headers(shop.cb)
    assert client.get("/api/v1/mp/trade-ins", headers=mine).get_json()["total"] == 1
    assert client.get("/api/v1/mp/trade-ins", headers=theirs).get_json()["total"] == 0


def test_owner_lists_their_trade_ins_with_csv(client, app, shop, guide_a):
    from tests.fixtures.auth import login

    with app.app_context():
        db.session.get(Customer, shop.ca).nickname = ""  # a readable label, not a dash
        db.session.commit()
    chain = _take_in(client, guide_a, shop.ca).get_json()
    login(client, "owner-a")
    page = client.get("/admin/trade-ins").get_data(as_text=True)
    assert chain["trade_in_no"] in page
    assert any(w in page for w in (f"微信客户 {shop.ca}", f"WeChat customer {shop.ca}", "尾号"))
    csv = client.get("/admin/trade-ins?format=csv").get_data(as_text=True)
    assert chain["trade_in_no"] in csv and "5885.31" in csv
    client.post("/admin/logout", data={})
    login(client, "owner-b")
    assert chain["trade_in_no"] not in client.get("/admin/trade-ins").get_data(as_text=True)


def test_the_guide_takes_old_gold_in_and_credits_it_on_the_phone(
    client, app, org, shop, guide_a, as_ca
):
    """/m/trade-ins: the customer by member number, grams and ‰ typed in; the valued gold
    credited against the customer's unpaid order lowers its payable; a bad weight is a
    422 naming the field; another store's guide gets 404."""
    from tests.fixtures.auth import csrf_token_from, login

    login(client, "guide-a", path="/m/login")
    page = client.get("/m/trade-ins")
    assert page.status_code == 200
    form = {
        "customer": f"M{shop.ca:09d}",
        "metal": "gold",
        "weight_g": "10.52",
        "purity_permille": "999",
        "description": "旧足金项链",
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
    }
    bad = client.post("/m/trade-ins", data={**form, "weight_g": "ten"})
    assert bad.status_code == 422 and 'data-error-for="weight_mg"' in bad.get_data(as_text=True)
    taken = client.post("/m/trade-ins", data=form)
    assert taken.status_code == 303
    detail_url = taken.headers["Location"]
    body = {"items": [{"product_id": shop.pearl, "quantity": 20}]}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    detail = client.get(detail_url).get_data(as_text=True)
    assert order["order_no"] in detail
    credited = client.post(
        detail_url, data={"order_id": order["id"], "csrf_token": csrf_token_from(detail)}
    )
    assert credited.status_code == 303
    with app.app_context():
        assert db.session.get(Order, order["id"]).payable_fen == 6000_00 - value_fen(
            10_520, 999, 560_00
        )
    other = app.test_client()
    with app.app_context():
        from tests.franchise.factories import gen_user

        gen_user("guide-b", "guide", franchisee_id=org.fb, store_id=org.sb, guide_id=org.gb)
    login(other, "guide-b", path="/m/login")
    assert other.get(detail_url).status_code == 404
