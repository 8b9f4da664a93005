"""Organisation admin pages: lists with filters, pagination and CSV; forms with CSRF."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from franchise.models import Franchisee, Guide, Region, Store
from tests.fixtures.auth import login, post_form
from tests.franchise.factories import gen_store


def new_store(client, org, **fields):
    """Post the new-store form for franchisee A in the east region with ``fields``."""
    body = {"franchisee_id": org.fa, "region_id": org.east, **fields}
    return post_form(client, "/admin/org/stores/new", body)


def test_hq_lists_filter_and_paginate(app, client, org):
    with app.app_context():
        fa = db.session.get(Franchisee, org.fa)
        for n in range(25):
            gen_store(fa, code=f"P{n:02d}", name=f"Page store {n}", city="杭州")
    login(client, "hq")
    html = client.get("/admin/org/stores?city=杭州&per_page=10&page=3").get_data(as_text=True)
    assert "P20" in html and "P24" in html and "P19" not in html and "SH-A" not in html
    assert "21–25" in html
    html = client.get(f"/admin/org/stores?franchisee_id={org.fb}").get_data(as_text=True)
    assert "BJ-B" in html and "SH-A" not in html
    # a bad filter value is dropped, never an error
    assert client.get("/admin/org/stores?is_open=maybe&region_id=x").status_code == 200
    for page in ("franchisees", "guides", "regions"):
        assert client.get(f"/admin/org/{page}").status_code == 200, page
    for page in (f"franchisees/{org.fa}", f"stores/{org.sa}", f"guides/{org.ga}"):
        assert client.get(f"/admin/org/{page}").status_code == 200, page


def test_csv_export_follows_filters(client, org):
    login(client, "hq")
    response = client.get("/admin/org/stores?format=csv&city=北京")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("BJ-B,")
    guides = client.get("/admin/org/guides?format=csv").get_data(as_text=True)
    assert "Ann" in guides and "Bob" in guides and "Ann · 上海A店" in guides  # the member, by name


def test_hq_creates_and_edits_through_forms(app, client, org):
    login(client, "hq")
    hangzhou = {"code": "HZ-1", "name": "杭州一店", "city": "杭州", "address": "湖滨路"}
    response = new_store(client, org, latitude="30.26", longitude="120.16", is_open="y", **hangzhou)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        store = db.session.scalars(select(Store).where(Store.code == "HZ-1")).one()
        assert store.is_open and store.latitude == 30.26
        store_id = store.id

    response = post_form(
        client,
        f"/admin/org/stores/{store_id}/edit",
        {
            "franchisee_id": org.fb,
            "region_id": org.north,
            "code": "HZ-1",
            "name": "杭州一店",
            "city": "杭州",
            "address": "湖滨路",
            "latitude": "30.26",
            "longitude": "120.16",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        store = db.session.get(Store, store_id)
        assert store.franchisee_id == org.fb and not store.is_open and store.closed_at

    response = post_form(
        client,
        "/admin/org/franchisees/new",
        {
            "name": "Gamma",
            "region_id": org.east,
            "sub_mch_id": "1900000777",
            "profit_share_bps": "500",
            "status": "active",
        },
    )
    assert response.status_code == 302
    response = post_form(
        client,
        "/admin/org/guides/new",
        {"store_id": org.sa, "name": "Dora", "wecom_userid": "dora"},
    )
    assert response.status_code == 302
    with app.app_context():
        guide_id = db.session.scalars(select(Guide.id).where(Guide.wecom_userid == "dora")).one()
    response = post_form(
        client,
        f"/admin/org/guides/{guide_id}/edit",
        {"store_id": org.sa, "name": "Dora", "wecom_userid": "dora", "status": "left"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Guide, guide_id).status == "left"

    response = post_form(
        client,
        "/admin/org/regions/new",
        {"code": "SOUTH", "name": "华南", "cities": "广州, 深圳\n佛山"},
    )
    assert response.status_code == 302
    with app.app_context():
        region = db.session.scalars(select(Region).where(Region.code == "SOUTH")).one()
        assert region.city_names == ["广州", "深圳", "佛山"]


def test_form_errors_are_shown(client, org):
    login(client, "hq")
    response = new_store(
        client, org, code="SH-A", name="Dup", city="上海", latitude="31.2", longitude="121.4"
    )
    assert response.status_code == 409
    assert "已被占用。" in response.get_data(as_text=True)  # "Already in use." (zh first)
    response = post_form(
        client,
        "/admin/org/franchisees/new",
        {
            "name": "X",
            "region_id": org.east,
            "sub_mch_id": "12",
            "profit_share_bps": "5000",
            "status": "active",
        },
    )
    assert response.status_code == 422


def test_form_without_csrf_is_refused(client, org):
    login(client, "hq")
    response = client.post("/admin/org/regions/new", data={"code": "X", "name": "X"})
    assert response.status_code == 400


def test_owner_edits_own_store_contact_only(app, client, org):
    login(client, "owner-a")
    path = f"/admin/org/stores/{org.sa}/edit"
    html = client.get(path).get_data(as_text=True)
    assert 'name="business_hours"' in html and 'name="code"' not in html
    response = post_form(
        client,
        path,
        {"phone": "021-1234", "business_hours": "9-21", "code": "HACK", "franchisee_id": org.fb},
    )
    assert response.status_code == 302
    with app.app_context():
        store = db.session.get(Store, org.sa)
        assert (store.phone, store.business_hours) == ("021-1234", "9-21")
        assert store.code == "SH-A" and store.franchisee_id == org.fa


def test_nav_entries_registered(app):
    from app.extensions import registry

    endpoints = {item.endpoint for item in registry(app).nav}
    assert {
        "franchise_admin.franchisees",
        "franchise_admin.stores",
        "franchise_admin.guides",
        "franchise_admin.regions",
    } <= endpoints


def test_page_and_api_refuse_the_same_input_with_the_same_message(app, client, org, as_hq):
    """The store form loads through the API's schema: the same bad phone, the same words;
    a decimal latitude typed on the page is a number to the schema."""
    api = client.patch(f"/api/v1/stores/{org.sa}", json={"phone": "call me"}, headers=as_hq)
    assert api.status_code == 422
    api_message = api.get_json()["errors"]["phone"][0]
    login(client, "hq")
    path = f"/admin/org/stores/{org.sa}/edit"
    store = {"franchisee_id": org.fa, "region_id": org.east, "code": "SH-A", "name": "A"}
    store |= {"city": "上海", "latitude": "31.25", "longitude": "121.5", "is_open": "y"}
    page = post_form(client, path, {**store, "phone": "call me"})
    assert page.status_code == 422
    assert api_message == "数字、+、- 和空格，最多 20 个字符。"
    assert api_message in page.get_data(as_text=True)
    assert post_form(client, path, store).status_code == 302
    with app.app_context():
        assert db.session.get(Store, org.sa).latitude == 31.25
