"""Tenancy: a franchise owner sees and edits only their own franchise; others are 404."""

from __future__ import annotations

import pytest

from tests.fixtures.auth import api_token, bearer, login


def test_owner_lists_only_own_rows(client, org, as_owner_a):
    for path, key, own in [
        ("/api/v1/franchisees", "id", org.fa),
        ("/api/v1/stores", "id", org.sa),
        ("/api/v1/guides", "id", org.ga),
        ("/api/v1/regions", "id", org.east),
    ]:
        body = client.get(path, headers=as_owner_a).get_json()
        assert [row[key] for row in body["items"]] == [own], path
        assert body["total"] == 1
    # a filter naming the other franchise finds nothing rather than leaking it
    other = client.get(f"/api/v1/stores?franchisee_id={org.fb}", headers=as_owner_a)
    assert other.get_json()["items"] == []


@pytest.mark.parametrize(
    "path", ["franchisees/{fb}", "stores/{sb}", "guides/{gb}", "regions/{north}"]
)
def test_owner_gets_404_on_other_franchise(client, org, as_owner_a, path):
    url = "/api/v1/" + path.format(**vars(org))
    response = client.get(url, headers=as_owner_a)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_owner_sees_own_objects(client, org, as_owner_a):
    assert client.get(f"/api/v1/stores/{org.sa}", headers=as_owner_a).status_code == 200
    franchisee = client.get(f"/api/v1/franchisees/{org.fa}", headers=as_owner_a).get_json()
    assert franchisee["region_name"] == "华东"


def test_owner_edits_only_safe_store_fields(client, org, as_owner_a, as_hq):
    ok = client.patch(
        f"/api/v1/stores/{org.sa}",
        headers=as_owner_a,
        json={"phone": "021-5555 0000", "business_hours": "10:00-21:00"},
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["business_hours"] == "10:00-21:00"
    for field, value in [
        ("franchisee_id", org.fb),
        ("code", "HACK"),
        ("latitude", 1.0),
        ("is_open", False),
    ]:
        response = client.patch(f"/api/v1/stores/{org.sa}", headers=as_owner_a, json={field: value})
        assert response.status_code == 422, field
        assert field in response.get_json()["errors"]
    store = client.get(f"/api/v1/stores/{org.sa}", headers=as_hq).get_json()
    assert store["franchisee_id"] == org.fa and store["code"] == "SH-A" and store["is_open"]


def test_owner_cannot_touch_money_fields(client, org, as_owner_a, as_hq):
    response = client.patch(
        f"/api/v1/franchisees/{org.fa}",
        headers=as_owner_a,
        json={"sub_mch_id": "1900009999", "profit_share_bps": 0},
    )
    assert response.status_code == 403
    franchisee = client.get(f"/api/v1/franchisees/{org.fa}", headers=as_hq).get_json()
    assert franchisee["sub_mch_id"] == "1900000201"
    assert franchisee["profit_share_bps"] == 1000


def test_owner_cannot_edit_other_store(client, org, as_owner_a):
    response = client.patch(f"/api/v1/stores/{org.sb}", headers=as_owner_a, json={"phone": "1"})
    assert response.status_code == 404


def test_owner_cannot_create(client, org, as_owner_a):
    response = client.post(
        "/api/v1/guides",
        headers=as_owner_a,
        json={"store_id": org.sa, "name": "X", "wecom_userid": "x"},
    )
    assert response.status_code == 403


def test_guide_sees_own_record_and_store(client, org):
    headers = bearer(api_token(client, "guide-a"))
    guides = client.get("/api/v1/guides", headers=headers).get_json()["items"]
    assert [g["id"] for g in guides] == [org.ga]
    assert client.get(f"/api/v1/stores/{org.sb}", headers=headers).status_code == 404
    assert client.get("/api/v1/franchisees", headers=headers).status_code == 403


@pytest.mark.parametrize(
    "path", ["franchisees/{fb}", "stores/{sb}", "guides/{gb}", "stores/{sb}/edit"]
)
def test_owner_pages_404_on_other_franchise(client, org, path):
    login(client, "owner-a")
    assert client.get("/admin/org/" + path.format(**vars(org))).status_code == 404


def test_owner_pages_list_only_own_rows(client, org):
    login(client, "owner-a")
    for page, own, other in [
        ("stores", "SH-A", "BJ-B"),
        ("guides", "Ann", "Bob"),
        ("franchisees", "Alpha Jewels", "Beta Jewels"),
        ("regions", "华东", "华北"),
    ]:
        html = client.get(f"/admin/org/{page}").get_data(as_text=True)
        assert own in html and other not in html, page
        csv_text = client.get(f"/admin/org/{page}?format=csv").get_data(as_text=True)
        assert own in csv_text and other not in csv_text, page


def test_owner_cannot_open_hq_forms(client, org):
    login(client, "owner-a")
    for path in (
        "stores/new",
        "guides/new",
        "franchisees/new",
        f"franchisees/{org.fa}/edit",
        f"guides/{org.ga}/edit",
        "regions/new",
    ):
        assert client.get(f"/admin/org/{path}").status_code == 403, path


def test_guide_gets_403_on_admin_pages(client, org):
    response = login(client, "guide-a", path="/m/login")
    assert response.status_code == 302, response.status_code
    for path in ("stores", "guides", "franchisees", "regions", f"stores/{org.sa}"):
        assert client.get(f"/admin/org/{path}").status_code == 403, path


def test_signed_out_pages_redirect_to_login(client, org):
    response = client.get("/admin/org/stores")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
