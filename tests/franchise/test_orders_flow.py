"""Order state machine through the staff API and pages: roles, events, tenancy, CSV."""

from __future__ import annotations

import pytest

from app.extensions import db
from franchise.models import Order, OrderEvent
from franchise.services import orders as order_service
from tests.fixtures.auth import api_token, bearer, csrf_token_from, gen_user, login
from tests.franchise.factories_commerce import gen_customer, make_paid


def place(app, customer_id, product_id, quantity=1, paid=False):
    with app.app_context():
        order = order_service.create_order(
            customer_id, [{"product_id": product_id, "quantity": quantity}]
        )
        if paid:
            make_paid(order)
        return order.id


def move(client, headers, order_id, to, note=""):
    return client.post(
        f"/api/v1/orders/{order_id}/transition", json={"to": to, "note": note}, headers=headers
    )


@pytest.fixture
def tokens(client, org):
    return {
        name: bearer(api_token(client, name)) for name in ("hq", "owner-a", "owner-b", "guide-a")
    }


def test_full_flow_with_roles_and_events(client, app, org, shop, tokens):
    order_id = place(app, shop.ca, shop.pearl, paid=True)
    # a guide or owner cannot ship: that is HQ's warehouse
    for who in ("guide-a", "owner-a"):
        response = move(client, tokens[who], order_id, "shipped")
        assert response.status_code == 403, response.get_json()
    assert move(client, tokens["hq"], order_id, "shipped", "SF123").status_code == 200
    # repeating the same move is a 409 that names what may come next
    again = move(client, tokens["hq"], order_id, "shipped")
    assert again.status_code == 409 and again.get_json()["errors"]["allowed"] == ["received"]
    assert move(client, tokens["hq"], order_id, "received").status_code == 403
    assert move(client, tokens["guide-a"], order_id, "received").status_code == 200
    skipped = move(client, tokens["guide-a"], order_id, "completed")
    assert skipped.status_code == 409
    assert skipped.get_json()["errors"]["allowed"] == ["delivered", "picked_up"]
    body = move(client, tokens["owner-a"], order_id, "picked_up").get_json()
    assert body["status"] == "picked_up" and body["allowed_transitions"] == ["completed"]
    assert move(client, tokens["guide-a"], order_id, "completed").status_code == 200
    detail = client.get(f"/api/v1/orders/{order_id}", headers=tokens["hq"]).get_json()
    trail = [(e["from_status"], e["to_status"], e["actor_role"]) for e in detail["events"]]
    assert trail == [
        (None, "created", "customer"),
        ("created", "paid", "system"),
        ("paid", "shipped", "hq_admin"),
        ("shipped", "received", "guide"),
        ("received", "picked_up", "franchise_owner"),
        ("picked_up", "completed", "guide"),
    ]
    assert detail["events"][2]["note"] == "SF123"
    with app.app_context():
        assert db.session.query(OrderEvent).filter_by(order_id=order_id).count() == 6


def test_unpaid_order_cannot_ship_and_staff_cancel_rules(client, app, shop, tokens):
    order_id = place(app, shop.ca, shop.pearl)
    response = move(client, tokens["hq"], order_id, "shipped")
    assert response.status_code == 409
    assert response.get_json()["errors"]["allowed"] == ["paid", "cancelled", "closed"]
    assert move(client, tokens["guide-a"], order_id, "cancelled").status_code == 403
    assert move(client, tokens["owner-a"], order_id, "cancelled").status_code == 200
    # the payments-only states cannot be asked for through the staff API
    assert move(client, tokens["hq"], order_id, "paid").status_code == 422
    assert move(client, tokens["hq"], order_id, "closed").status_code == 422


def test_tenancy(client, app, org, shop, tokens):
    a_order = place(app, shop.ca, shop.pearl, paid=True)
    a_other_guide = place(app, shop.ca2, shop.pearl, paid=True)  # store SH-A, no guide
    b_order = place(app, shop.cb, shop.pearl, paid=True)
    # owner of A: B's order does not exist
    assert client.get(f"/api/v1/orders/{b_order}", headers=tokens["owner-a"]).status_code == 404
    assert move(client, tokens["owner-a"], b_order, "cancelled").status_code == 404
    listing = client.get("/api/v1/orders", headers=tokens["owner-a"]).get_json()
    assert {o["id"] for o in listing["items"]} == {a_order, a_other_guide}
    # owner B asking explicitly for A's franchise gets nothing
    listing = client.get(f"/api/v1/orders?franchisee_id={org.fa}", headers=tokens["owner-b"])
    assert listing.get_json()["total"] == 0
    # a guide reads only their own orders...
    listing = client.get("/api/v1/orders", headers=tokens["guide-a"]).get_json()
    assert [o["id"] for o in listing["items"]] == [a_order]
    assert (
        client.get(f"/api/v1/orders/{a_other_guide}", headers=tokens["guide-a"]).status_code == 404
    )
    assert client.get(f"/api/v1/orders/{b_order}", headers=tokens["guide-a"]).status_code == 404
    # ...but may hand over any order of their store; never another store's
    assert move(client, tokens["hq"], a_other_guide, "shipped").status_code == 200
    assert move(client, tokens["guide-a"], a_other_guide, "received").status_code == 200
    assert move(client, tokens["hq"], b_order, "shipped").status_code == 200
    assert move(client, tokens["guide-a"], b_order, "received").status_code == 404
    # filters
    listing = client.get("/api/v1/orders?status=shipped", headers=tokens["hq"]).get_json()
    assert [o["id"] for o in listing["items"]] == [b_order]
    assert client.get("/api/v1/orders?status=bogus", headers=tokens["hq"]).status_code == 422
    assert (
        client.get("/api/v1/orders?date_from=2020-13-01", headers=tokens["hq"]).status_code == 422
    )
    today = client.get("/api/v1/orders?date_from=2020-01-01", headers=tokens["hq"]).get_json()
    assert today["total"] == 3
    old = client.get("/api/v1/orders?date_to=2020-01-01", headers=tokens["hq"]).get_json()
    assert old["total"] == 0


def test_admin_list_filters_totals_csv(client, app, org, shop):
    place(app, shop.ca, shop.ring, quantity=2)
    place(app, shop.cb, shop.pearl)
    login(client, "hq")
    html = client.get("/admin/orders").get_data(as_text=True)
    assert "¥2,300.00" in html  # totals over both orders
    html = client.get(f"/admin/orders?franchisee_id={org.fb}").get_data(as_text=True)
    assert "¥300.00" in html and "¥2,000.00" not in html
    csv = client.get(f"/admin/orders?format=csv&franchisee_id={org.fa}")
    assert csv.mimetype == "text/csv"
    rows = csv.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert len(rows) == 2 and "2000.00" in rows[1]
    assert client.get("/admin/orders?status=nope&date_from=x").status_code == 200


def test_owner_pages_are_scoped(client, app, shop):
    a_order = place(app, shop.ca, shop.pearl)
    b_order = place(app, shop.cb, shop.pearl)
    login(client, "owner-a")
    assert client.get(f"/admin/orders/{a_order}").status_code == 200
    assert client.get(f"/admin/orders/{b_order}").status_code == 404
    csv = client.get("/admin/orders?format=csv").get_data(as_text=True)
    assert csv.count("\n") == 2  # header + A's order


def test_transition_via_form_with_csrf(client, app, shop):
    order_id = place(app, shop.ca, shop.pearl, paid=True)
    login(client, "hq")
    page = client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert 'value="shipped"' in page and 'value="received"' not in page
    assert (
        client.post(f"/admin/orders/{order_id}/transition", data={"to": "shipped"}).status_code
        == 400
    )
    token = csrf_token_from(page)
    response = client.post(
        f"/admin/orders/{order_id}/transition", data={"to": "shipped", "csrf_token": token}
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Order, order_id).status == "shipped"
    page = client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert 'data-to="shipped"' in page and 'value="shipped"' not in page  # timeline, no button
    # a repeat shows the refusal, changes nothing
    response = client.post(
        f"/admin/orders/{order_id}/transition",
        data={"to": "shipped", "csrf_token": token},
        follow_redirects=True,
    )
    assert response.status_code == 200


def test_guide_hand_over_page(client, app, org, shop):
    order_id = place(app, shop.ca2, shop.pearl, paid=True)
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.status = "received"
        db.session.commit()
        other_id = gen_customer(org.fb, org.sb).id
    place(app, other_id, shop.pearl)
    login(client, "guide-a", path="/m/login")
    page = client.get("/m/orders").get_data(as_text=True)
    assert 'value="picked_up"' in page and 'value="delivered"' in page
    token = csrf_token_from(page)
    response = client.post(
        f"/m/orders/{order_id}/transition", data={"to": "delivered", "csrf_token": token}
    )
    assert response.status_code == 303
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == "delivered" and order.events[-1].actor_role == "guide"
    assert client.get("/m/orders").status_code == 200


def test_guide_of_another_store_cannot_hand_over(client, app, org, shop):
    order_id = place(app, shop.cb, shop.pearl, paid=True)
    with app.app_context():
        gen_user("guide-b", "guide", franchisee_id=org.fb, store_id=org.sb, guide_id=org.gb)
        db.session.get(Order, order_id).status = "received"
        db.session.commit()
    login(client, "guide-a", path="/m/login")
    token = csrf_token_from(client.get("/m/orders").get_data(as_text=True))
    response = client.post(
        f"/m/orders/{order_id}/transition", data={"to": "delivered", "csrf_token": token}
    )
    assert response.status_code == 404


def test_admin_home_sales_panel_is_scoped(client, app, shop):
    place(app, shop.ca, shop.pearl, paid=True)
    place(app, shop.cb, shop.ring, paid=True)
    login(client, "owner-a")
    html = client.get("/admin/").get_data(as_text=True)
    assert "¥300.00" in html and "¥1,000.00" not in html
    login(client, "hq")
    assert "¥1,300.00" in client.get("/admin/").get_data(as_text=True)
