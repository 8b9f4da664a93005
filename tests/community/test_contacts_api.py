"""The contacts contract: GET /api/v1/contacts (HQ all, an owner their franchise, a guide
their own), POST /api/v1/guides/{id}/contact-way (another franchise's guide 404, WeCom's
refusal with its reason), the PNG, GET /api/v1/customers/{id} showing HQ the unionid,
the emulator's contact-way and welcome rules, and the admin and guide pages."""

from __future__ import annotations

import re

from app.extensions import db
from app.wechat import wecom_contacts
from app.wechat.errors import WeChatAPIError
from tests.community.factories_contacts import add_contact, guide_code, mp_login, unionid_of
from tests.fixtures.auth import api_token, bearer, login

KEYS = {"external_userid", "name", "customer_id", "guide_id", "tags", "added_at", "state"}


def _seed(client, org):
    ann = add_contact(client, guide_code(client, org.ga)["config_id"], "安的客户")
    amy = add_contact(client, guide_code(client, org.ga2)["config_id"], "艾米的客户")
    bob = add_contact(client, guide_code(client, org.gb)["config_id"], "鲍勃的客户")
    return ann, amy, bob


def _names(client, headers, query="") -> list[str]:
    response = client.get(f"/api/v1/contacts{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return sorted(i["name"] for i in response.get_json()["items"])


def test_the_contract_and_who_sees_what(app, org, client, as_hq, as_owner_a, as_guide_a):
    ann, _, _ = _seed(client, org)
    page = client.get("/api/v1/contacts", headers=as_hq).get_json()
    assert page["total"] == 3 and set(page) == {"items", "total", "page", "per_page"}
    item = next(i for i in page["items"] if i["external_userid"] == ann["external_userid"])
    assert set(item) >= KEYS
    assert item["guide_id"] == org.ga and item["tags"] == [] and item["state"] == f"siyu:g{org.ga}"
    assert _names(client, as_owner_a) == ["安的客户", "艾米的客户"]
    assert _names(client, as_guide_a) == ["安的客户"]
    assert _names(client, as_guide_a, f"?guide_id={org.ga2}") == []  # never another's
    assert _names(client, as_hq, f"?guide_id={org.gb}") == ["鲍勃的客户"]
    assert _names(client, as_hq, "?q=艾米") == ["艾米的客户"]
    assert _names(client, as_hq, "?tag=婚庆") == []


def test_bad_filters_are_422_naming_the_field(client, org, as_hq):
    response = client.get("/api/v1/contacts?guide_id=abc", headers=as_hq)
    assert response.status_code == 422 and "guide_id" in str(response.get_json())
    response = client.get("/api/v1/contacts?status=gone", headers=as_hq)
    assert response.status_code == 422 and "status" in str(response.get_json())


def test_contact_way_scope_and_idempotence(client, org, as_owner_a, as_guide_a):
    first = client.post(f"/api/v1/guides/{org.ga}/contact-way", json={}, headers=as_guide_a)
    assert first.status_code == 200 and set(first.get_json()) == {"config_id", "qr_code", "state"}
    again = client.post(f"/api/v1/guides/{org.ga}/contact-way", json={}, headers=as_owner_a)
    assert again.get_json() == first.get_json()
    other_guide = client.post(f"/api/v1/guides/{org.ga2}/contact-way", json={}, headers=as_guide_a)
    assert other_guide.status_code == 404
    other_franchise = client.post(
        f"/api/v1/guides/{org.gb}/contact-way", json={}, headers=as_owner_a
    )
    assert other_franchise.status_code == 404
    bad = client.post(f"/api/v1/guides/{org.ga}/contact-way", json={"x": 1}, headers=as_guide_a)
    assert bad.status_code == 422


def test_wecom_refusing_the_way_answers_its_reason(client, org, as_hq):
    client.post("/_sandbox/control/faults", json={"api": "add_contact_way", "errcode": 41040})
    response = client.post(f"/api/v1/guides/{org.ga}/contact-way", json={}, headers=as_hq)
    assert response.status_code == 502 and "41040" in response.get_json()["message"]
    retry = client.post(f"/api/v1/guides/{org.ga}/contact-way", json={}, headers=as_hq)
    assert retry.status_code == 200  # the way is made once WeCom accepts


def test_the_code_png(client, org, as_guide_a):
    response = client.get(f"/api/v1/guides/{org.ga}/contact-way.png", headers=as_guide_a)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    assert (
        client.get(f"/api/v1/guides/{org.gb}/contact-way.png", headers=as_guide_a).status_code
        == 404
    )


def test_customer_detail_shows_hq_the_unionid(client, org, as_hq):
    customer = mp_login(client, "hu")["customer"]
    detail = client.get(f"/api/v1/customers/{customer['id']}", headers=as_hq).get_json()
    assert detail["unionid"] == unionid_of("hu")
    owner = bearer(
        api_token(client, f"owner-{'a' if customer['franchisee_id'] == org.fa else 'b'}")
    )
    seen = client.get(f"/api/v1/customers/{customer['id']}", headers=owner).get_json()
    assert seen["unionid"] is None


def test_emulator_contact_way_and_welcome_rules(app, client, sandbox):
    token = sandbox.issue_token("wecom")[0]
    base = "/_sandbox/qyapi/cgi-bin/externalcontact/"

    def call(api, body):
        return client.post(f"{base}{api}?access_token={token}", json=body).get_json()

    assert call("add_contact_way", {"scene": 2, "user": ["ann"]})["errcode"] == 41037
    assert call("add_contact_way", {"type": 1, "scene": 3, "user": ["ann"]})["errcode"] == 41040
    long_state = {"type": 1, "scene": 2, "user": ["ann"], "state": "s" * 31}
    assert call("add_contact_way", long_state)["errcode"] == 40058
    two = {"type": 1, "scene": 2, "user": ["ann", "amy"]}
    assert call("add_contact_way", two)["errcode"] == 40058
    made = call("add_contact_way", {"type": 2, "scene": 2, "user": ["ann", "amy"], "state": "x"})
    assert made["errcode"] == 0 and made["qr_code"]
    assert call("get_contact_way", {"config_id": made["config_id"]})["contact_way"]["state"] == "x"
    first = client.post(
        "/_sandbox/control/contacts/add", json={"config_id": made["config_id"], "name": "甲"}
    ).get_json()
    second = client.post(
        "/_sandbox/control/contacts/add", json={"config_id": made["config_id"], "name": "乙"}
    ).get_json()
    assert (first["userid"], second["userid"]) == ("ann", "amy")  # in turn
    assert call("del_contact_way", {"config_id": made["config_id"]})["errcode"] == 0
    # 41044 无效的「联系我」config_id参数 (全局错误码)
    assert call("get_contact_way", {"config_id": made["config_id"]})["errcode"] == 41044
    gone = {"config_id": made["config_id"], "user": ["ann"]}
    assert call("update_contact_way", gone)["errcode"] == 41044
    assert (
        call("send_welcome_msg", {"welcome_code": "nope", "text": {"content": "hi"}})["errcode"]
        == 41050  # 无效的欢迎语code
    )
    for code in ("W-ON-TIME", "W-LATE"):
        sandbox.data["welcome_codes"][code] = {
            "issued_at": sandbox.now(),
            "used": False,
            "userid": "ann",
            "external_userid": first["external_userid"],
        }
    hi = {"text": {"content": "hi"}}
    assert call("send_welcome_msg", {"welcome_code": "W-ON-TIME", **hi})["errcode"] == 0
    assert call("send_welcome_msg", {"welcome_code": "W-ON-TIME", **hi})["errcode"] == 41051
    sandbox.advance(21)
    assert call("send_welcome_msg", {"welcome_code": "W-LATE", **hi})["errcode"] == 41050


def test_welcome_sent_once_then_41051(app, client, sandbox):
    with app.app_context():
        way = wecom_contacts.add_contact_way(["ann"], "w1")
    added = client.post(
        "/_sandbox/control/contacts/add", json={"config_id": way["config_id"], "name": "丙"}
    ).get_json()
    with app.app_context():
        try:
            wecom_contacts.send_welcome_msg(added["welcome_code"], "again")
        except WeChatAPIError as exc:
            assert exc.errcode == 41051  # the app's fast path sent it already
        else:
            raise AssertionError("a welcome code works once")


def test_control_add_refuses_bad_input(client):
    response = client.post("/_sandbox/control/contacts/add", json={"name": ""})
    assert response.status_code == 422
    assert {"config_id", "name"} <= set(response.get_json()["errors"])
    unknown = client.post("/_sandbox/control/contacts/add", json={"config_id": "x", "name": "a"})
    assert unknown.status_code == 404


def test_admin_list_csv_and_figures_pages(app, org, client):
    _seed(client, org)
    login(client, "owner-a")
    page = client.get("/admin/contacts")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "安的客户" in html and "鲍勃的客户" not in html and "Ann" in html
    assert "Ann 的二维码" in html and "siyu:g" not in html  # the channel in words
    csv = client.get("/admin/contacts?format=csv")
    assert csv.mimetype == "text/csv" and "艾米的客户" in csv.get_data(as_text=True)
    figures = client.get("/admin/contacts/guides").get_data(as_text=True)
    assert "Ann" in figures and "Bob" not in figures


def test_guide_code_page_lists_only_own_contacts(app, org, client):
    _seed(client, org)
    login(client, "guide-a", path="/m/login")
    page = client.get("/m/contacts")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "安的客户" in html and "艾米的客户" not in html and 'id="code-png"' in html
    png = client.get("/m/contacts/code.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    with app.app_context():
        db.session.remove()


def test_a_linked_contact_opens_the_customer_page_from_its_name(app, org, client):
    """On /m/contacts the guide taps the contact's name: a contact linked to a customer
    is one link to that customer's page (not a small second link under it)."""
    from tests.community.factories_contacts import add_contact, guide_code
    from tests.franchise.factories_commerce import gen_customer

    with app.app_context():
        customer_id = gen_customer(org.fa, org.sa, org.ga, unionid="uLINK1", nickname="").id
    add_contact(client, guide_code(client, org.ga)["config_id"], name="美玲", unionid="uLINK1")
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/contacts").get_data(as_text=True)
    link = re.search(rf'<a [^>]*href="/m/customers/{customer_id}"[^>]*>(.*?)</a>', html, re.S)
    assert link and "美玲" in link.group(1)
