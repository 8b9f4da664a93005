"""The catalogue: HQ product API (validation, unique sku, roles) and the admin pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from franchise.models import Product
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login

RING = {
    "sku": "DI-RG-9",
    "name": "钻石戒指",
    "category": "钻石",
    "price_fen": 880000,
    "stock": 3,
    "care_interval_days": 365,
}


def test_hq_creates_lists_and_edits_products(client, org, as_hq, as_owner_a):
    response = client.post("/api/v1/products", json=RING, headers=as_hq)
    assert response.status_code == 201, response.get_json()
    product = response.get_json()
    assert product["is_active"] is True and product["price_fen"] == 880000
    assert client.post("/api/v1/products", json=RING, headers=as_hq).status_code == 409
    assert client.post("/api/v1/products", json=RING, headers=as_owner_a).status_code == 403
    listing = client.get("/api/v1/products?category=钻石", headers=as_owner_a).get_json()
    assert [p["sku"] for p in listing["items"]] == ["DI-RG-9"]
    patch = client.patch(
        f"/api/v1/products/{product['id']}", json={"stock": 10, "is_active": False}, headers=as_hq
    )
    assert patch.status_code == 200 and patch.get_json()["stock"] == 10
    assert client.get("/api/v1/products?is_active=false", headers=as_hq).get_json()["total"] == 1
    assert client.get("/api/v1/mp/products").get_json()["total"] == 0
    assert client.get("/api/v1/products/424242", headers=as_hq).status_code == 404


def test_product_validation(client, org, as_hq):
    for bad in (
        {**RING, "price_fen": -1},
        {**RING, "price_fen": "100"},
        {**RING, "price_fen": 1.5},
        {**RING, "stock": -1},
        {**RING, "care_interval_days": 0},
        {**RING, "sku": "bad sku"},
        {**RING, "name": ""},
        {**RING, "id": 5},
        {k: v for k, v in RING.items() if k != "price_fen"},
    ):
        response = client.post("/api/v1/products", json=bad, headers=as_hq)
        assert response.status_code == 422, bad


def test_admin_product_pages(client, app, org):
    login(client, "hq")
    page = client.get("/admin/products/new").get_data(as_text=True)
    response = client.post(
        "/admin/products/new",
        data={
            "csrf_token": csrf_token_from(page),
            "sku": "PT-1",
            "name": "铂金对戒",
            "category": "铂金",
            "price_yuan": "6600.50",
            "stock": "4",
            "care_interval_days": "365",
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        product = db.session.scalars(select(Product).where(Product.sku == "PT-1")).one()
        assert product.price_fen == 660050
        product_id = product.id
    edit = client.get(f"/admin/products/{product_id}/edit").get_data(as_text=True)
    assert "6600.50" in edit
    html = client.get("/admin/products?category=铂金").get_data(as_text=True)
    assert "铂金对戒" in html and "¥6,600.50" in html
    csv = client.get("/admin/products?format=csv").get_data(as_text=True)
    assert "PT-1" in csv and "6600.50" in csv
    login(client, "owner-a")
    assert client.get("/admin/products").status_code == 403


def test_owner_and_guide_get_sales_nav(client, org):
    login(client, "owner-a")
    html = client.get("/admin/orders").get_data(as_text=True)
    assert "/admin/coupons" in html and "/admin/products" not in html
    api = bearer(api_token(client, "guide-a"))
    assert client.get("/api/v1/products", headers=api).status_code == 200


@pytest.mark.slow
def test_demo_seed_is_idempotent(app):
    from franchise.demo.commerce import seed_commerce
    from franchise.demo.organisation import seed_organisation
    from franchise.models import CouponTemplate, Customer, Franchisee, Order
    from tests.franchise.factories_commerce import gen_customer

    with app.app_context():
        seed_organisation(app)
        assert seed_commerce(app)  # products and templates, no customers yet: no orders
        assert db.session.query(Order).count() == 0
        for franchisee in db.session.scalars(select(Franchisee)):
            store = franchisee.stores[0]
            guide = store.guides[0] if store.guides else None
            for _ in range(4):
                gen_customer(franchisee.id, store.id, guide.id if guide else None)
        seed_commerce(app)
        orders = db.session.scalars(select(Order)).all()
        assert 30 <= len(orders) <= 40
        statuses = {o.status for o in orders}
        assert "paid" not in statuses and {"created", "shipped", "completed"} <= statuses
        assert all(o.events[0].to_status == "created" for o in orders)
        assert db.session.query(Product).count() == 20
        assert db.session.query(CouponTemplate).count() == 2
        customers = db.session.query(Customer).count()
        seed_commerce(app)
        assert db.session.query(Order).count() == len(orders)
        assert db.session.query(Customer).count() == customers
