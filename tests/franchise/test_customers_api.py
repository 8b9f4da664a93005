"""Customers API and pages: scope (HQ, owner, guide), reassign, history, settings, CSV."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from franchise.models import AssignmentHistory, Customer, Store
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.franchise.factories import settings_form
from tests.franchise.factories_customers import gen_customer


@pytest.fixture
def people(app, org):
    """Customers: two of guide Ann (franchise A), one of A without guide, one of B."""
    with app.app_context():
        sa, sb = db.session.get(Store, org.sa), db.session.get(Store, org.sb)
        soon = shanghai_day() + timedelta(days=3)
        ann1 = gen_customer(sa, guide_id=org.ga, nickname="安琪", birthday=soon.replace(year=1990))
        ann2 = gen_customer(
            sa, guide_id=org.ga, nickname="Lulu", value_tier="high", tier_label="高价值·忠诚"
        )
        a3 = gen_customer(sa, nickname="Nobody")
        b1 = gen_customer(sb, guide_id=org.gb, nickname="Beta Cust")
        return {"ann1": ann1.id, "ann2": ann2.id, "a3": a3.id, "b1": b1.id}


@pytest.fixture
def as_guide_a(client, org):
    return bearer(api_token(client, "guide-a"))


def ids(res):
    assert res.status_code == 200, res.get_json()
    return {c["id"] for c in res.get_json()["items"]}


def test_scope_of_the_listing(client, people, as_hq, as_owner_a, as_guide_a):
    assert ids(client.get("/api/v1/customers", headers=as_hq)) == set(people.values())
    assert ids(client.get("/api/v1/customers", headers=as_owner_a)) == {
        people["ann1"],
        people["ann2"],
        people["a3"],
    }
    assert ids(client.get("/api/v1/customers", headers=as_guide_a)) == {
        people["ann1"],
        people["ann2"],
    }


def test_filters(client, people, as_hq, org):
    assert ids(client.get(f"/api/v1/customers?franchisee_id={org.fb}", headers=as_hq)) == {
        people["b1"]
    }
    assert ids(client.get("/api/v1/customers?value_tier=high", headers=as_hq)) == {people["ann2"]}
    assert ids(client.get("/api/v1/customers?q=lulu", headers=as_hq)) == {people["ann2"]}
    assert client.get("/api/v1/customers?value_tier=gold", headers=as_hq).status_code == 422


def test_other_franchise_customer_is_404(client, people, as_owner_a, as_guide_a):
    for headers in (as_owner_a, as_guide_a):
        assert client.get(f"/api/v1/customers/{people['b1']}", headers=headers).status_code == 404
        assert (
            client.get(f"/api/v1/customers/{people['b1']}/assignments", headers=headers).status_code
            == 404
        )
    assert client.get(f"/api/v1/customers/{people['a3']}", headers=as_guide_a).status_code == 404
    assert client.get(f"/api/v1/customers/{people['ann1']}", headers=as_guide_a).status_code == 200
    assert client.get("/api/v1/customers/99999999999", headers=as_owner_a).status_code == 404


def test_reassign_by_hq_writes_history(client, people, as_hq, org, app):
    body = {
        "franchisee_id": org.fb,
        "store_id": org.sb,
        "guide_id": org.gb,
        "reason": "moved to Beijing",
    }
    res = client.post(f"/api/v1/customers/{people['ann1']}/reassign", json=body, headers=as_hq)
    assert res.status_code == 200 and res.get_json()["guide_id"] == org.gb
    assert res.get_json()["assignment_rule"] == "manual"
    hist = client.get(f"/api/v1/customers/{people['ann1']}/assignments", headers=as_hq).get_json()
    assert hist["total"] == 1 and hist["items"][0]["reason"] == "moved to Beijing"
    assert hist["items"][0]["from_guide_id"] == org.ga and hist["items"][0]["actor_user_id"]
    all_rows = client.get(f"/api/v1/assignments?rule=manual&franchisee_id={org.fa}", headers=as_hq)
    assert all_rows.get_json()["total"] == 1


def test_reassign_refused_for_owner_and_bad_input(client, people, as_hq, as_owner_a, org):
    url = f"/api/v1/customers/{people['ann1']}/reassign"
    good = {"franchisee_id": org.fb, "reason": "x"}
    assert client.post(url, json=good, headers=as_owner_a).status_code == 403
    bad = [
        {"franchisee_id": org.fa, "store_id": org.sb, "reason": "x"},
        {"franchisee_id": org.fa, "store_id": org.sa, "guide_id": org.gb, "reason": "x"},
        {"franchisee_id": org.fb},
        {"franchisee_id": "2", "reason": "x"},
        {"franchisee_id": 999999, "reason": "x"},
        {"franchisee_id": org.fb, "reason": "x", "value_tier": "high"},
    ]
    for body in bad:
        assert client.post(url, json=body, headers=as_hq).status_code == 422, body
    assert (
        client.post("/api/v1/customers/999999/reassign", json=good, headers=as_hq).status_code
        == 404
    )


def test_reassign_without_store_picks_least_loaded(client, people, as_hq, org):
    res = client.post(
        f"/api/v1/customers/{people['ann1']}/reassign",
        json={"franchisee_id": org.fb, "reason": "r"},
        headers=as_hq,
    )
    assert res.get_json()["store_id"] == org.sb and res.get_json()["guide_id"] is None


def test_admin_pages_list_detail_csv_and_scope(client, people, org):
    login(client, "owner-a")
    page = client.get("/admin/customers")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "安琪" in html and "Beta Cust" not in html
    csv = client.get("/admin/customers?format=csv")
    assert csv.status_code == 200 and "Lulu" in csv.get_data(as_text=True)
    assert client.get(f"/admin/customers/{people['b1']}").status_code == 404
    detail = client.get(f"/admin/customers/{people['ann1']}")
    assert detail.status_code == 200 and "reason" not in detail.get_data(as_text=True)
    assert client.get("/admin/assignment-settings").status_code == 403
    assert client.get("/admin/assignments").status_code == 200


def test_admin_reassign_form_and_history_page(client, people, org, app):
    login(client, "hq")
    url = f"/admin/customers/{people['a3']}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    data = {
        "csrf_token": token,
        "franchisee_id": org.fb,
        "store_id": org.sb,
        "guide_id": "",
        "reason": "HQ decision",
    }
    res = client.post(url, data=data)
    assert res.status_code == 302
    with app.app_context():
        assert db.session.get(Customer, people["a3"]).franchisee_id == org.fb
        row = db.session.scalars(select(AssignmentHistory)).one()
        assert row.reason == "HQ decision" and row.rule == "manual"
    bad = client.post(url, data={**data, "store_id": org.sa, "franchisee_id": org.fb})
    assert bad.status_code == 422
    history = client.get("/admin/assignments?format=csv").get_data(as_text=True)
    assert "HQ decision" in history


def test_admin_settings_page(client, org, app):
    login(client, "hq")
    token = csrf_token_from(client.get("/admin/assignment-settings").get_data(as_text=True))
    from franchise.services import settings

    data = settings_form()
    res = client.post(
        "/admin/assignment-settings",
        data={**data, "csrf_token": token, "assignment__radius_km": "25"},
    )
    assert res.status_code == 302
    with app.app_context():
        assert settings.radius_km() == 25.0
    res = client.post(
        "/admin/assignment-settings",
        data={**data, "csrf_token": token, "assignment__radius_km": "-1"},
    )
    assert res.status_code == 422


def test_guide_mobile_pages(client, people, org):
    login(client, "guide-a", path="/m/login")
    page = client.get("/m/customers")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "安琪" in html and "Lulu" in html and "高价值·忠诚" in html
    assert "Nobody" not in html and "Beta Cust" not in html
    assert "Birthday in 3 days" in html or "3 天" in html
    assert "Lulu" not in client.get("/m/customers?q=安").get_data(as_text=True)
    assert client.get(f"/m/customers/{people['ann1']}").status_code == 200
    assert client.get(f"/m/customers/{people['b1']}").status_code == 404
    assert client.get(f"/m/customers/{people['a3']}").status_code == 404
    assert client.get("/m/appointments").status_code == 200
