"""WeCom's member directory: read from the emulator (department/list, user/list per
department), searched by HQ for the guide form's picker, and the rule that a guide's
WeCom account is a directory member no other guide holds (422 otherwise)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.wechat import wecom_directory
from app.wechat.errors import WeChatAPIError
from franchise.models import Guide, WecomMember
from tests.fixtures.auth import csrf_token_from, login
from tests.franchise.factories import WECOM_CORP as CORP


@pytest.fixture
def corp(client):
    """The emulator's corp holds the CORP directory, seeded without callbacks: Siyu has
    not read it yet."""
    response = client.post("/_sandbox/control/directory", json={**CORP, "callbacks": False})
    assert response.status_code == 200 and response.get_json()["members"] == 5
    return CORP


def _sync(client, headers) -> dict:
    response = client.post("/api/v1/wecom/members/sync", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_sync_reads_every_department_and_each_member_once(app, client, org, as_hq, corp):
    result = _sync(client, as_hq)
    assert result == {"departments": 4, "members": 5, "gone": 2}  # cara, dora: not in WeCom
    page = client.get("/api/v1/wecom/members?per_page=50", headers=as_hq).get_json()
    by_id = {m["userid"]: m for m in page["items"]}
    assert set(by_id) == {"ann", "bob", "han_xue", "feng_xiao", "cao_min"}
    assert by_id["han_xue"]["department_name"] == "上海A店·柜台"  # the main (first) department
    assert by_id["han_xue"]["label"] == "韩雪 · 上海A店·柜台"
    assert by_id["cao_min"]["status_label"] == "未激活"
    assert by_id["ann"]["guide_id"] == org.ga and by_id["ann"]["guide_name"] == "Ann"
    assert by_id["feng_xiao"]["guide_id"] is None


def test_picker_searches_by_name_and_department_and_pages(client, org, as_hq, corp):
    _sync(client, as_hq)

    def names(query):
        response = client.get(f"/api/v1/wecom/members?{query}", headers=as_hq)
        assert response.status_code == 200, response.get_json()
        return [m["name"] for m in response.get_json()["items"]], response.get_json()["total"]

    assert names("q=韩") == (["韩雪"], 1)
    assert sorted(names("q=北京B店")[0]) == ["Bob", "冯晓"]  # by department
    free, total = names("linked=no")
    assert "Ann" not in free and "Bob" not in free and total == 3
    assert "Ann" in names(f"linked=no&for_guide={org.ga}")[0]  # the edited guide's own
    assert sorted(names("linked=yes")[0]) == ["Ann", "Bob"]
    first, total = names("per_page=2&page=1")
    second, _ = names("per_page=2&page=2")
    assert total == 5 and len(first) == len(second) == 2 and not set(first) & set(second)


def test_only_hq_reads_or_syncs_the_directory(client, org, as_owner_a, corp):
    assert client.get("/api/v1/wecom/members", headers=as_owner_a).status_code == 403
    assert client.post("/api/v1/wecom/members/sync", headers=as_owner_a).status_code == 403


def test_guide_api_takes_only_a_free_directory_member(app, client, org, as_hq, corp):
    _sync(client, as_hq)
    body = {"store_id": org.sa, "name": "韩雪"}
    typed = client.post("/api/v1/guides", headers=as_hq, json={**body, "wecom_userid": "hanxue"})
    assert typed.status_code == 422
    assert list(typed.get_json()["errors"]) == ["wecom_userid"]
    held = client.post("/api/v1/guides", headers=as_hq, json={**body, "wecom_userid": "bob"})
    assert held.status_code == 422 and "wecom_userid" in held.get_json()["errors"]
    made = client.post("/api/v1/guides", headers=as_hq, json={**body, "wecom_userid": "han_xue"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["wecom_name"] == "韩雪 · 上海A店·柜台"
    moved = client.patch(
        f"/api/v1/guides/{org.ga}", headers=as_hq, json={"wecom_userid": "han_xue"}
    )
    assert moved.status_code == 422 and "wecom_userid" in moved.get_json()["errors"]
    gone = client.patch(f"/api/v1/guides/{org.ga}", headers=as_hq, json={"wecom_userid": "dora"})
    assert gone.status_code == 422  # dora is no longer listed by WeCom
    same = client.patch(f"/api/v1/guides/{org.ga}", headers=as_hq, json={"wecom_userid": "ann"})
    assert same.status_code == 200 and same.get_json()["wecom_name"] == "Ann · 上海A店"


def test_a_member_wecom_drops_keeps_the_guides_name_but_is_not_offered(
    app, client, org, as_hq, corp
):
    _sync(client, as_hq)
    smaller = {"departments": [], "members": []}
    with app.app_context():
        from app.wechat.sandbox import sandbox_state

        directory = sandbox_state(app).data["directory"]
        del directory["members"]["feng_xiao"]
    client.post("/_sandbox/control/directory", json=smaller)
    assert _sync(client, as_hq)["gone"] == 1
    with app.app_context():
        member = db.session.scalars(
            select(WecomMember).where(WecomMember.userid == "feng_xiao")
        ).one()
        assert member.present is False
    free = client.get("/api/v1/wecom/members?linked=no", headers=as_hq).get_json()["items"]
    assert "feng_xiao" not in {m["userid"] for m in free}


def test_emulator_answers_60003_for_an_unknown_department(app, corp):
    with app.app_context():
        with pytest.raises(WeChatAPIError) as info:
            wecom_directory.department_members(999)
        assert str(info.value.errcode) == "60003"
        assert [d["id"] for d in wecom_directory.departments()] == [1, 201, 202, 203]


def test_resigned_member_reads_as_left(app, client, corp):
    client.post("/_sandbox/control/members/bob/resign")
    with app.app_context():
        bob = next(m for m in wecom_directory.department_members(202) if m["userid"] == "bob")
    assert bob["status"] == wecom_directory.LEFT


def test_guide_form_offers_free_members_by_name(app, client, org, as_hq, corp):
    _sync(client, as_hq)
    login(client, "hq")
    page = client.get("/admin/org/guides/new").get_data(as_text=True)
    assert 'data-search="' in page and "js/select-search.js" in page
    assert '<option value="han_xue">韩雪 · 上海A店·柜台</option>' in page
    assert 'value="ann"' not in page and 'value="bob"' not in page  # linked to a guide
    edit = client.get(f"/admin/org/guides/{org.ga}/edit").get_data(as_text=True)
    assert '<option selected value="ann">Ann · 上海A店</option>' in edit
    detail = client.get(f"/admin/org/guides/{org.ga}").get_data(as_text=True)
    assert "Ann · 上海A店" in detail


def test_sync_now_from_the_form_returns_to_it(app, client, org, corp):
    login(client, "hq")
    form_page = client.get("/admin/org/guides/new").get_data(as_text=True)
    assert "韩雪" not in form_page  # not read yet
    response = client.post(
        "/admin/org/wecom-members/sync",
        data={"csrf_token": csrf_token_from(form_page), "next": "/admin/org/guides/new"},
    )
    assert response.status_code == 302 and response.location.endswith("/admin/org/guides/new")
    assert "韩雪" in client.get("/admin/org/guides/new").get_data(as_text=True)
    listing = client.get("/admin/org/wecom-members?q=韩").get_data(as_text=True)
    assert "韩雪" in listing and "冯晓" not in listing
    csv_text = client.get("/admin/org/wecom-members?format=csv&linked=yes").get_data(as_text=True)
    assert "Ann" in csv_text and "韩雪" not in csv_text


def test_the_nightly_read_is_scheduled_and_reads_the_directory(app, org, corp):
    from app.extensions import registry

    job = next(j for j in registry(app).jobs if j["id"] == "franchise.wecom_members.sync")
    assert job["trigger"] == "cron" and job["args"]["hour"] == 2
    with app.app_context():
        job["func"]()
        names = db.session.scalars(
            select(WecomMember.name).where(WecomMember.present).order_by(WecomMember.name)
        ).all()
    assert sorted(names) == sorted(["Ann", "Bob", "冯晓", "曹敏", "韩雪"])


def test_a_colleague_who_is_no_guide_reads_by_name_on_the_group_page(app, client, org, as_hq, corp):
    from tests.community.factories_groups import gen_group

    _sync(client, as_hq)
    with app.app_context():
        group = gen_group(db.session.get(Guide, org.ga), name="无导购的群")
        group.guide_id, group.owner_userid = None, "han_xue"
        db.session.commit()
        group_id = group.id
    login(client, "hq")
    page = client.get(f"/admin/groups/{group_id}").get_data(as_text=True)
    assert "韩雪" in page and "han_xue" not in page
