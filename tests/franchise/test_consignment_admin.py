"""Consignment admin pages (寄售, issue 19): an owner takes a piece in on the page (the
consignor found by name or phone, photos, appraisal, agreed price and commission in per
cent, all through the page's schema), follows the steps on the detail page through the
existing service (out of order: 422 on the page, nothing changes), HQ lists every
franchise's with filters, pages and CSV, statuses in words; another franchise's
consignment is 404 (page, step, photo) and absent from its list."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.extensions import db
from franchise.models import Consignment, ConsignmentPhoto, Customer
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.fixtures.media import tiny_png


def _intake(client, **fields):
    page = client.get("/admin/consignments/new?q=小美")
    assert page.status_code == 200
    body = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **fields}
    return client.post("/admin/consignments/new", data=body, content_type="multipart/form-data")


def _only(app) -> Consignment:
    with app.app_context():
        row = db.session.query(Consignment).one()
        db.session.expunge(row)
        return row


@pytest.fixture
def owner_a(client, shop):
    login(client, "owner-a")
    return client


def test_owner_takes_a_piece_in_with_photos_and_the_agreed_price(app, owner_a, shop):
    with app.app_context():
        db.session.get(Customer, shop.ca).phone = "13800001111"
        db.session.commit()
    found = owner_a.get("/admin/consignments/new?q=1111").get_data(as_text=True)
    assert "小美" in found and "小北" not in found  # by phone; never another franchise's
    answer = _intake(
        owner_a,
        customer_id=str(shop.ca),
        description="卡地亚 LOVE 手镯 18K 玫瑰金",
        appraised_yuan="38,000",
        appraisal_notes="九成新",
        agreed_price_yuan="35000.00",
        commission_pct="12.5",
        photos=(io.BytesIO(tiny_png()), "front.png"),
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    row = _only(app)
    assert (row.status, row.appraised_fen, row.agreed_price_fen) == ("agreed", 38_000_00, 35_000_00)
    assert row.commission_bps == 1250
    detail = owner_a.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'data-step="agreed" data-mark="current"' in detail
    assert 'data-step="received" data-mark="done"' in detail and "约定售价" in detail
    assert 'data-step-form="listed"' in detail and "12.5%" in detail
    with app.app_context():
        photo = db.session.query(ConsignmentPhoto).one()
        photo_url = f"/admin/consignments/{row.id}/photos/{photo.id}"
    assert owner_a.get(photo_url).data == tiny_png()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": ""}, "description"),
        ({"appraised_yuan": "abc"}, "appraised_yuan"),
        ({"commission_pct": "60"}, "commission_pct"),
        ({"agreed_price_yuan": "100"}, "appraised_fen"),  # a price before any appraisal
        ({"customer_id": "cb"}, "customer_id"),  # franchise B's customer
    ],
)
def test_a_bad_intake_is_422_naming_the_field_and_keeps_nothing(app, owner_a, shop, fields, field):
    body = {"customer_id": str(shop.ca), "description": "劳力士 日志型", **fields}
    if body["customer_id"] == "cb":
        body["customer_id"] = str(shop.cb)
    answer = _intake(owner_a, **body)
    assert answer.status_code == 422
    assert f'data-error-for="{field}"' in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Consignment).count() == 0


def _step(client, row_id, to, **fields):
    page = client.get(f"/admin/consignments/{row_id}")
    body = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), "to": to, **fields}
    return client.post(f"/admin/consignments/{row_id}/move", data=body)


def test_steps_on_the_detail_page_go_through_the_service_in_order(app, owner_a, shop):
    _intake(owner_a, customer_id=str(shop.ca), description="香奈儿 山茶花 项链")
    row = _only(app)
    early = _step(owner_a, row.id, "listed")
    assert early.status_code == 422 and 'data-error-for="to"' in early.get_data(as_text=True)
    assert _only(app).status == "received"
    assert _step(owner_a, row.id, "appraised", appraised_yuan="12000").status_code == 303
    assert (
        _step(owner_a, row.id, "agreed", agreed_price_yuan="11000", commission_pct="20").status_code
        == 303
    )
    assert _step(owner_a, row.id, "listed").status_code == 303
    listed = _only(app)
    assert (listed.status, listed.commission_bps) == ("listed", 2000) and listed.product_id
    on_sale = owner_a.get(f"/admin/consignments/{row.id}").get_data(as_text=True)
    assert f'id="listed-as">{listed.consignment_no} · 在售<' in on_sale
    assert _step(owner_a, row.id, "returned").status_code == 303
    page = owner_a.get(f"/admin/consignments/{row.id}").get_data(as_text=True)
    assert 'data-step="returned" data-mark="current"' in page
    assert 'data-step="sold"' not in page and "退还寄售人" in page
    assert 'id="next-steps"' not in page  # nothing after a return


def test_hq_lists_with_filters_and_csv_and_owners_see_only_their_own(client, app, shop):
    login(client, "owner-a")
    _intake(client, customer_id=str(shop.ca), description="爱马仕 手镯")
    a_row = _only(app)
    owner_b = bearer(api_token(client, "owner-b"))
    made = client.post(
        "/api/v1/consignments",
        json={"customer_id": shop.cb, "description": "宝格丽 项链", "appraised_fen": 9_000_00},
        headers=owner_b,
    )
    assert made.status_code == 201 and made.get_json()["status"] == "appraised"
    assert made.get_json()["status_label"]
    login(client, "hq")
    listing = client.get("/admin/consignments").get_data(as_text=True)
    assert a_row.consignment_no in listing and made.get_json()["consignment_no"] in listing
    assert "已收件" in listing and "已鉴定估价" in listing  # states in words
    by_consignor = client.get("/admin/consignments?consignor=小北").get_data(as_text=True)
    assert a_row.consignment_no not in by_consignor
    by_status = client.get("/admin/consignments?status=received").get_data(as_text=True)
    assert a_row.consignment_no in by_status
    assert made.get_json()["consignment_no"] not in by_status
    csv = client.get("/admin/consignments?format=csv")
    assert csv.mimetype == "text/csv" and "爱马仕 手镯" in csv.get_data(as_text=True)
    assert client.get("/admin/consignments?status=nope").status_code == 200  # a bad filter drops
    # owner B: not A's in the list; A's page, step and photo are 404
    login(client, "owner-b")
    mine = client.get("/admin/consignments").get_data(as_text=True)
    assert a_row.consignment_no not in mine and made.get_json()["consignment_no"] in mine
    assert client.get(f"/admin/consignments/{a_row.id}").status_code == 404
    page = client.get("/admin/consignments").get_data(as_text=True)
    moved = client.post(
        f"/admin/consignments/{a_row.id}/move",
        data={"csrf_token": csrf_token_from(page), "to": "returned"},
    )
    assert moved.status_code == 404 and _only_status(app, a_row.id) == "received"
    assert client.get(f"/admin/consignments/{a_row.id}/photos/1").status_code == 404


def _only_status(app, row_id: int) -> str:
    with app.app_context():
        return db.session.get(Consignment, row_id).status


@given(st.integers(0, 5000))
def test_a_commission_typed_in_per_cent_is_its_basis_points(bps):
    """Any commission the store may agree, typed as a percentage with up to two decimals,
    loads as exactly its basis points; above 50 % or a third decimal is refused."""
    from marshmallow import ValidationError

    from franchise.schemas_consignment import ConsignmentStepFormSchema

    schema = ConsignmentStepFormSchema()
    typed = f"{bps // 100}.{bps % 100:02d}"
    assert schema.load({"to": "agreed", "commission_pct": typed})["commission_bps"] == bps
    for bad in (f"{typed}1", "50.01", "-1", "二十"):
        with pytest.raises(ValidationError) as refused:
            schema.load({"to": "agreed", "commission_pct": bad})
        assert "commission_pct" in refused.value.messages
