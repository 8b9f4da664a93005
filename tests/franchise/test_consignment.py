"""Consignment (寄售, issue 19): intake, appraisal, agreed price, listing as a one-off
product, sale through the ordinary order and WeChat Pay path, payout net of the
commission through the ledger (which balances, the franchisee keeping the commission);
steps out of order are 422 naming ``to``; returning; tenancy."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.extensions import db
from franchise.models import Product
from franchise.services import ledger
from franchise.services.consignment import payout_fen
from tests.fixtures.auth import api_token, bearer
from tests.franchise.factories_payments import pay_and_succeed


@given(st.integers(1, 10**10), st.integers(0, 5000))
def test_payout_is_the_price_less_the_commission_rounded_once(price, bps):
    from decimal import ROUND_HALF_UP, Decimal

    commission = (Decimal(price) * bps / 10000).quantize(Decimal(1), ROUND_HALF_UP)
    assert payout_fen(price, bps) == price - int(commission)
    assert 0 <= payout_fen(price, bps) <= price


def _move(client, headers, row_id, to, **body):
    return client.post(
        f"/api/v1/consignments/{row_id}/move", json={"to": to, **body}, headers=headers
    )


def _take_in(client, headers, customer_id):
    answer = client.post(
        "/api/v1/consignments",
        json={"customer_id": customer_id, "description": "卡地亚 LOVE 手镯 18K 玫瑰金"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_consigned_bangle_sold_and_paid_out_net_of_commission(client, app, org, shop, guide_a):
    row = _take_in(client, guide_a, shop.ca)
    early = _move(client, guide_a, row["id"], "listed")
    assert early.status_code == 422 and early.get_json()["errors"]["allowed"] == [
        "appraised",
        "returned",
    ]
    assert _move(client, guide_a, row["id"], "appraised").status_code == 422  # no amount
    _move(
        client, guide_a, row["id"], "appraised", appraised_fen=38_000_00, appraisal_notes="九成新"
    )
    _move(client, guide_a, row["id"], "agreed", agreed_price_fen=36_000_00, commission_bps=1500)
    listed = _move(client, guide_a, row["id"], "listed").get_json()
    assert listed["product_id"]
    unsold = _move(client, guide_a, row["id"], "sold")
    assert unsold.status_code == 422 and "to" in unsold.get_json()["errors"]
    # a buyer (customer ca2) orders and pays through the ordinary path
    with app.app_context():
        from tests.franchise.factories_commerce import customer_headers

        buyer = customer_headers(shop.ca2)
    body = {"items": [{"product_id": listed["product_id"], "quantity": 1}]}
    order = client.post("/api/v1/mp/orders", json=body, headers=buyer).get_json()
    assert order["payable_fen"] == 36_000_00
    pay_and_succeed(client, order["id"], shop.ca2, app)
    sold = _move(client, guide_a, row["id"], "sold").get_json()
    assert sold["order_id"] == order["id"]
    paid = _move(client, guide_a, row["id"], "paid_out").get_json()
    assert paid["payout_fen"] == 36_000_00 - 5_400_00
    assert [e["to_status"] for e in paid["events"]] == [
        "received",
        "appraised",
        "agreed",
        "listed",
        "sold",
        "paid_out",
    ]
    assert _move(client, guide_a, row["id"], "paid_out").status_code == 422
    with app.app_context():
        assert ledger.unbalanced_transactions() == []
        assert -ledger.account_balance(org.fa, "sales") == 5_400_00  # the commission stays
    mine = client.get("/api/v1/mp/consignments", headers=_headers(app, shop.ca)).get_json()
    assert [c["payout_fen"] for c in mine["items"]] == [30_600_00]


def _headers(app, customer_id):
    from tests.franchise.factories_commerce import customer_headers

    with app.app_context():
        return customer_headers(customer_id)


def test_returning_a_listed_piece_takes_it_off_sale(client, app, shop, guide_a):
    row = _take_in(client, guide_a, shop.ca)
    _move(client, guide_a, row["id"], "appraised", appraised_fen=5_000_00)
    _move(client, guide_a, row["id"], "agreed", agreed_price_fen=4_800_00)
    listed = _move(client, guide_a, row["id"], "listed").get_json()
    back = _move(client, guide_a, row["id"], "returned", note="寄售人取回")
    assert back.status_code == 200 and back.get_json()["status"] == "returned"
    with app.app_context():
        product = db.session.get(Product, listed["product_id"])
        assert (product.stock, product.is_active) == (0, False)


def test_commission_above_half_and_tenancy(client, app, shop, guide_a):
    row = _take_in(client, guide_a, shop.ca)
    _move(client, guide_a, row["id"], "appraised", appraised_fen=5_000_00)
    greedy = _move(
        client, guide_a, row["id"], "agreed", agreed_price_fen=4_800_00, commission_bps=6000
    )
    assert greedy.status_code == 422 and "commission_bps" in greedy.get_json()["errors"]
    owner_b = bearer(api_token(client, "owner-b"))
    assert client.get("/api/v1/consignments", headers=owner_b).get_json()["total"] == 0
    assert _move(client, owner_b, row["id"], "returned").status_code == 404
