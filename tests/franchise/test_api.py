"""The organisation JSON API: CRUD for HQ, validation envelope, conflicts, the spec."""

from __future__ import annotations

STORE = {
    "franchisee_id": None,
    "code": "HZ-NEW",
    "name": "杭州新店",
    "city": "杭州",
    "address": "湖滨路1号",
    "latitude": 30.259,
    "longitude": 120.165,
}


def new_store(org, **kw):
    return {**STORE, "franchisee_id": org.fa, **kw}


def test_hq_creates_and_reads_everything(client, org, as_hq):
    body = {"code": "SOUTH", "name": "华南", "cities": ["广州", "深圳"]}
    region = client.post("/api/v1/regions", json=body, headers=as_hq)
    assert region.status_code == 201, region.get_json()
    region = region.get_json()
    assert region["cities"] == ["广州", "深圳"]

    franchisee = client.post(
        "/api/v1/franchisees",
        headers=as_hq,
        json={
            "name": "Gamma",
            "region_id": region["id"],
            "sub_mch_id": "1900000299",
            "profit_share_bps": 3000,
        },
    )
    assert franchisee.status_code == 201, franchisee.get_json()
    fid = franchisee.get_json()["id"]
    assert franchisee.get_json()["region_name"] == "华南"

    store = client.post(
        "/api/v1/stores", headers=as_hq, json={**STORE, "franchisee_id": fid, "city": "广州"}
    )
    assert store.status_code == 201, store.get_json()
    store = store.get_json()
    assert store["region_id"] == region["id"] and store["is_open"] is True
    assert store["opened_at"]

    guide = client.post(
        "/api/v1/guides",
        headers=as_hq,
        json={"store_id": store["id"], "name": "Cara", "wecom_userid": "cara"},
    )
    assert guide.status_code == 201, guide.get_json()
    assert guide.get_json()["franchisee_id"] == fid

    page = client.get("/api/v1/stores?per_page=2", headers=as_hq).get_json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["per_page"] == 2

    patched = client.patch(
        f"/api/v1/regions/{region['id']}", headers=as_hq, json={"default_franchisee_id": fid}
    )
    assert patched.status_code == 200 and patched.get_json()["default_franchisee_id"] == fid


def test_list_filters(client, org, as_hq):
    def codes(query):
        response = client.get(f"/api/v1/stores?{query}", headers=as_hq)
        assert response.status_code == 200, response.get_json()
        return [s["code"] for s in response.get_json()["items"]]

    assert codes(f"region_id={org.north}") == ["BJ-B"]
    assert codes(f"franchisee_id={org.fa}") == ["SH-A"]
    assert codes("city=北京") == ["BJ-B"]
    assert codes("q=A店") == ["SH-A"]
    assert codes("is_open=false") == []
    names = client.get("/api/v1/guides?q=an", headers=as_hq).get_json()["items"]
    assert [g["name"] for g in names] == ["Ann"]
    statuses = client.get("/api/v1/franchisees?status=active", headers=as_hq).get_json()
    assert statuses["total"] == 2


def test_per_page_is_bounded(client, org, as_hq):
    response = client.get("/api/v1/stores?per_page=201", headers=as_hq)
    assert response.status_code == 422
    assert "per_page" in response.get_json()["errors"]


def test_validation_envelope(client, org, as_hq):
    response = client.post(
        "/api/v1/stores",
        headers=as_hq,
        json=new_store(
            org, latitude=91, longitude="120", code="bad code", franchisee_id=str(org.fa)
        ),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert set(body["errors"]) >= {"latitude", "longitude", "code", "franchisee_id"}


def test_strict_ints_and_unknown_fields(client, org, as_hq):
    response = client.post(
        "/api/v1/franchisees",
        headers=as_hq,
        json={
            "name": "X",
            "region_id": str(org.east),
            "sub_mch_id": "1900000300",
            "profit_share_bps": 3001,
            "owner": "me",
        },
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"region_id", "profit_share_bps", "owner"}
    bad_mch = client.post(
        "/api/v1/franchisees",
        headers=as_hq,
        json={"name": "X", "region_id": org.east, "sub_mch_id": "12ab"},
    )
    assert bad_mch.status_code == 422 and "sub_mch_id" in bad_mch.get_json()["errors"]


def test_duplicates_conflict(client, org, as_hq):
    response = client.post("/api/v1/stores", headers=as_hq, json=new_store(org, code="SH-A"))
    assert response.status_code == 409
    assert response.get_json()["errors"] == {"code": ["已被占用。"]}  # "Already in use."
    assert response.get_json()["message"] == "该门店编码已被占用。"
    response = client.patch(
        f"/api/v1/franchisees/{org.fb}", headers=as_hq, json={"sub_mch_id": "1900000201"}
    )
    assert response.status_code == 409 and "sub_mch_id" in response.get_json()["errors"]
    response = client.post(
        "/api/v1/guides",
        headers=as_hq,
        json={"store_id": org.sa, "name": "Dup", "wecom_userid": "ann"},
    )
    assert response.status_code == 422  # a WeCom member another guide holds
    assert "wecom_userid" in response.get_json()["errors"]
    response = client.post(
        "/api/v1/regions", headers=as_hq, json={"code": "WEST", "name": "西", "cities": ["上海"]}
    )
    assert response.status_code == 409 and "cities" in response.get_json()["errors"]


def test_missing_reference_is_422(client, org, as_hq):
    response = client.post("/api/v1/stores", headers=as_hq, json=new_store(org, franchisee_id=9999))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"franchisee_id": ["加盟商不存在。"]}
    english = client.post(
        "/api/v1/stores?lang=en", headers=as_hq, json=new_store(org, franchisee_id=9999)
    )
    assert english.get_json()["errors"] == {"franchisee_id": ["No such franchisee."]}


def test_close_store_and_guide_leaves(app, client, org, as_hq):
    from app.extensions import add_hook, remove_hook
    from franchise import services

    closed, left = [], []
    add_hook(app, services.STORE_CLOSED, closed.append)
    add_hook(app, services.GUIDE_LEFT, left.append)
    try:
        store = client.patch(
            f"/api/v1/stores/{org.sa}", headers=as_hq, json={"is_open": False}
        ).get_json()
        guide = client.patch(
            f"/api/v1/guides/{org.gb}", headers=as_hq, json={"status": "left"}
        ).get_json()
    finally:
        remove_hook(app, services.STORE_CLOSED, closed.append)
        remove_hook(app, services.GUIDE_LEFT, left.append)
    assert store["is_open"] is False and store["closed_at"]
    assert guide["status"] == "left" and guide["left_at"]
    assert closed == [org.sa] and left == [org.gb]
    response = client.post(
        "/api/v1/guides",
        headers=as_hq,
        json={"store_id": org.sa, "name": "New", "wecom_userid": "new"},
    )
    assert response.status_code == 422 and "store_id" in response.get_json()["errors"]


def test_moving_a_store_moves_its_guides(client, org, as_hq):
    response = client.patch(
        f"/api/v1/stores/{org.sa}", headers=as_hq, json={"franchisee_id": org.fb}
    )
    assert response.status_code == 200
    guide = client.get(f"/api/v1/guides/{org.ga}", headers=as_hq).get_json()
    assert guide["franchisee_id"] == org.fb


def test_unauthenticated_is_401(client, org):
    assert client.get("/api/v1/stores").status_code == 401


def test_openapi_documents_every_operation(client, org):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, methods in {
        "/api/v1/regions": {"get", "post"},
        "/api/v1/franchisees": {"get", "post"},
        "/api/v1/franchisees/{franchisee_id}": {"get", "patch"},
        "/api/v1/stores": {"get", "post"},
        "/api/v1/stores/{store_id}": {"get", "patch"},
        "/api/v1/guides": {"get", "post"},
        "/api/v1/guides/{guide_id}": {"get", "patch"},
    }.items():
        operations = spec["paths"][path]
        assert methods <= set(operations), path
        for method in methods:
            assert operations[method].get("summary"), (path, method)
            if "{" in path:
                assert "404" in operations[method]["responses"], (path, method)
