"""A replacement order after a defect (issue 19): the O2O inspection's exchange writes a
replacement order for the same product and size with another registered piece, paid by
the original payment (nothing to pay, no new money in the ledger, which balances), the
defective piece back in its store and never sold again, delivered as the original; the
customer sees it on the original order (API), HQ on the order page; a second exchange
is 409, no piece left is 409 and nothing changes; another franchise's is 404."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from franchise.models import (
    Appointment,
    LedgerTransaction,
    Order,
    OrderFulfilment,
    Piece,
    Product,
)
from franchise.services import ledger
from tests.fixtures.auth import api_token, bearer, login
from tests.fixtures.database import row_count_in
from tests.franchise.factories_jewellery import bought_ring as _bought
from tests.franchise.factories_jewellery import inspection_visit as _inspection
from tests.franchise.factories_jewellery import register_piece


def _defect_exchanged(client, visit_id: int, headers):
    body = {"outcome": "attended", "inspection_result": "defect", "remedy": "exchange",
            "note": "钻石有裂纹"}  # fmt: skip
    return client.post(f"/api/v1/appointments/{visit_id}/outcome", json=body, headers=headers)


def test_exchange_writes_a_replacement_paid_by_the_original(
    client, app, org, shop, as_ca, as_hq, as_owner_a, ring
):
    register_piece(client, as_hq, ring, org.sa, serial="BAD-1")
    register_piece(client, as_hq, ring, org.sa, serial="GOOD-2")
    order = _bought(client, app, shop, as_ca, ring)
    postings_before = row_count_in(app, LedgerTransaction)
    answer = _defect_exchanged(client, _inspection(app, org, shop, order["id"]), as_owner_a)
    assert answer.status_code == 201, answer.get_json()
    replacement_id = answer.get_json()["replacement_order_id"]
    with app.app_context():
        original = db.session.get(Order, order["id"])
        new = db.session.get(Order, replacement_id)
        assert new.replaces_order_id == original.id and new.status == "paid"
        assert (new.total_fen, new.payable_fen, new.paid_fen) == (original.total_fen, 0, 0)
        assert [(li.product_id, li.quantity, li.unit_price_fen) for li in new.lines] == [
            (li.product_id, li.quantity, li.unit_price_fen) for li in original.lines
        ]
        assert new.lines[0].price_snapshot.metal_fen_per_gram == 600_00
        shipped_to = db.session.get(OrderFulfilment, new.id)
        assert (shipped_to.mode, shipped_to.address) == ("delivery", "南京西路1号")
        bad = db.session.scalars(select(Piece).where(Piece.serial == "BAD-1")).one()
        good = db.session.scalars(select(Piece).where(Piece.serial == "GOOD-2")).one()
        assert (bad.status, bad.customer_id, bad.order_id) == ("defective", None, original.id)
        assert (good.status, good.order_id, good.customer_id) == ("held", new.id, shop.ca)
        assert db.session.get(Product, ring).stock == 0  # the defective piece is not for sale
        assert ledger.unbalanced_transactions() == []
    assert row_count_in(app, LedgerTransaction) == postings_before  # no new money moves
    # the customer: the replacement on the original order, their piece is the good one
    mine = client.get(f"/api/v1/mp/orders/{order['id']}", headers=as_ca).get_json()
    assert mine["replacement"]["id"] == replacement_id
    theirs = client.get(f"/api/v1/mp/orders/{replacement_id}", headers=as_ca).get_json()
    assert theirs["replaces"]["order_no"] == order["order_no"] and theirs["payable_fen"] == 0
    pieces = client.get("/api/v1/mp/pieces", headers=as_ca).get_json()["items"]
    assert [p["serial"] for p in pieces] == ["GOOD-2"]
    again = client.post(f"/api/v1/mp/orders/{replacement_id}/pay", json={}, headers=as_ca)
    assert again.status_code in (409, 422)  # nothing to pay
    defective = client.get("/api/v1/pieces?status=defective", headers=as_hq).get_json()
    assert [p["serial"] for p in defective["items"]] == ["BAD-1"]
    # HQ sees it on the order page; HQ ships the replacement as the original would be
    login(client, "hq")
    page = client.get(f"/admin/orders/{order['id']}").get_data(as_text=True)
    assert f'data-replacement="{theirs["order_no"]}"' in page
    ship = {"carrier": "顺丰速运", "waybill_no": "SF0001"}
    shipped = client.post(f"/api/v1/orders/{replacement_id}/ship", json=ship, headers=as_hq)
    assert shipped.status_code == 200 and shipped.get_json()["status"] == "shipped"
    # franchise B sees neither
    owner_b = bearer(api_token(client, "owner-b"))
    assert client.get(f"/api/v1/orders/{replacement_id}", headers=owner_b).status_code == 404


def test_a_second_exchange_or_no_piece_left_is_409_and_changes_nothing(
    client, app, org, shop, as_ca, as_hq, as_owner_a, ring
):
    register_piece(client, as_hq, ring, org.sa, serial="ONLY-1")
    order = _bought(client, app, shop, as_ca, ring)
    visit = _inspection(app, org, shop, order["id"])
    none_left = _defect_exchanged(client, visit, as_owner_a)
    assert none_left.status_code == 409 and none_left.get_json()["code"] == "piece_taken"
    with app.app_context():
        assert db.session.get(Appointment, visit).status == "booked"
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalars(select(Piece)).one().status == "held"
    register_piece(client, as_hq, ring, org.sa, serial="NEW-2")
    assert _defect_exchanged(client, visit, as_owner_a).status_code == 201
    second = _defect_exchanged(client, _inspection(app, org, shop, order["id"]), as_owner_a)
    assert second.status_code == 409 and second.get_json()["code"] == "already_exchanged"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 2
