"""WeCom's 通讯录变更 callbacks (``change_contact``) fired by the emulator's directory
control through the real, encrypted ``/wecom/callback``: members and departments created,
changed and deleted without a sync, a re-sent event changing nothing, an unknown member
kept and completed by the sync, a deleted guide account raising HQ's attention item
without departing the guide, and a forged callback changing nothing."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.wechat.sandbox.delivery import fire_wecom_event, wecom_callback_xml
from franchise.models import Alert, Guide, WecomDepartment, WecomMember
from franchise.services.wecom_directory_events import GUIDE_WECOM_LEFT
from tests.fixtures.auth import login


def _change(client, **body) -> dict:
    response = client.post("/_sandbox/control/directory", json=body)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert all(c["status"] == "delivered" for c in answer["callbacks"]), answer
    return answer


def _member(app, userid: str) -> WecomMember:
    with app.app_context():
        row = db.session.scalars(select(WecomMember).where(WecomMember.userid == userid)).one()
        db.session.expunge(row)
        return row


def _left_alerts(app) -> list[Alert]:
    with app.app_context():
        rows = db.session.scalars(select(Alert).where(Alert.code == GUIDE_WECOM_LEFT)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def test_a_member_added_in_wecom_is_in_the_directory_without_a_sync(app, client, org, as_hq):
    answer = _change(
        client,
        departments=[{"id": 301, "name": "杭州C店"}],
        members=[{"userid": "lin_yu", "name": "林雨", "department": [301]}],
    )
    kinds = [c["meta"]["event"]["ChangeType"] for c in answer["callbacks"]]
    assert kinds == ["create_party", "create_user"]  # the department first
    member = _member(app, "lin_yu")
    assert (member.name, member.department_name, member.present) == ("林雨", "杭州C店", True)
    free = client.get("/api/v1/wecom/members?linked=no&q=林", headers=as_hq).get_json()["items"]
    assert [m["label"] for m in free] == ["林雨 · 杭州C店"]


def test_an_update_carries_only_what_changed_and_a_resend_changes_nothing(
    app, client, org, sandbox
):
    _change(client, departments=[{"id": 301, "name": "杭州C店"}])
    _change(client, members=[{"userid": "lin_yu", "name": "林雨", "department": [301]}])
    answer = _change(client, members=[{"userid": "lin_yu", "name": "林小雨", "department": [301]}])
    (event,) = [c["meta"]["event"] for c in answer["callbacks"]]
    assert event == {"Event": "change_contact", "ChangeType": "update_user", "UserID": "lin_yu"} | {
        "Name": "林小雨"
    }
    fire_wecom_event(sandbox, event)  # WeCom sends it again (a new nonce)
    member = _member(app, "lin_yu")
    assert (member.name, member.department_name) == ("林小雨", "杭州C店")
    assert (
        _change(client, members=[{"userid": "lin_yu", "name": "林小雨", "department": [301]}])[
            "callbacks"
        ]
        == []
    )  # nothing changed: WeCom sends nothing


def test_a_renamed_department_renames_its_members_and_a_deleted_one_is_kept(app, client, org):
    _change(client, departments=[{"id": 301, "name": "杭州C店"}])
    _change(client, members=[{"userid": "lin_yu", "name": "林雨", "department": [301]}])
    _change(client, departments=[{"id": 301, "name": "杭州西湖店"}])
    assert _member(app, "lin_yu").department_name == "杭州西湖店"
    _change(client, remove=["lin_yu"], remove_departments=[301])
    with app.app_context():
        dept = db.session.get(WecomDepartment, 301)
        assert dept is not None and dept.present is False and dept.name == "杭州西湖店"


def test_an_unknown_member_is_kept_and_the_sync_completes_it(app, client, org, sandbox, as_hq):
    # since 2022-08-15 the 通讯录同步助手 gets only UserID and Department
    fire_wecom_event(
        sandbox,
        {"Event": "change_contact", "ChangeType": "update_user", "UserID": "wu_jing"}
        | {"Department": "1"},
    )
    member = _member(app, "wu_jing")
    assert (member.name, member.present) == ("wu_jing", True)
    client.post(
        "/_sandbox/control/directory",
        json={"members": [{"userid": "wu_jing", "name": "吴静"}], "callbacks": False},
    )
    assert client.post("/api/v1/wecom/members/sync", headers=as_hq).status_code == 200
    assert _member(app, "wu_jing").name == "吴静"


def test_a_deleted_guide_account_raises_hqs_attention_once_and_keeps_the_guide(
    app, client, org, sandbox
):
    _change(client, members=[{"userid": "ann", "name": "Ann", "department": [1]}])
    answer = _change(client, remove=["ann"])
    (event,) = [c["meta"]["event"] for c in answer["callbacks"]]
    assert event == {"Event": "change_contact", "ChangeType": "delete_user", "UserID": "ann"}
    fire_wecom_event(sandbox, event)  # re-sent by WeCom
    (alert,) = _left_alerts(app)
    assert alert.count == 1 and alert.params["guide"] == "Ann"
    assert alert.franchisee_id == org.fa and alert.hq_acknowledged_at is None
    with app.app_context():
        guide = db.session.get(Guide, org.ga)
        assert guide.status == "active" and guide.wecom_userid == "ann"  # not departed
    assert _member(app, "ann").present is False
    login(client, "hq")
    page = client.get(f"/admin/alerts?code={GUIDE_WECOM_LEFT}").get_data(as_text=True)
    assert "Ann" in page and f"/admin/org/guides/{org.ga}" in page
    assert "导购企业微信账号已删除" in page
    assert "导购 Ann 的企业微信账号 Ann 已在企业微信中删除" in page
    overview = client.get("/admin/").get_data(as_text=True)
    card = overview.split('id="attention"', 1)[1].split("</section>", 1)[0]
    link = f"/admin/alerts?code={GUIDE_WECOM_LEFT}&amp;open=1"
    assert re.search(r'data-count="1">\s*<a href="' + re.escape(link), card)
    assert "企业微信账号已删除的导购" in card


def test_a_deleted_colleague_who_is_no_guide_raises_nothing(app, client, org):
    _change(client, members=[{"userid": "cara", "name": "Cara", "department": [1]}])
    _change(client, remove=["cara"])
    assert _left_alerts(app) == [] and _member(app, "cara").present is False


def test_a_changed_userid_moves_the_guides_link(app, client, org, sandbox):
    fire_wecom_event(
        sandbox,
        {"Event": "change_contact", "ChangeType": "update_user", "UserID": "ann"}
        | {"NewUserID": "ann_zhang"},
    )
    with app.app_context():
        assert db.session.get(Guide, org.ga).wecom_userid == "ann_zhang"
    assert _member(app, "ann_zhang").name == "Ann"


def test_a_forged_callback_changes_nothing(app, client, org, sandbox):
    event = {"Event": "change_contact", "ChangeType": "delete_user", "UserID": "ann"}
    body, params = wecom_callback_xml(sandbox, event)
    params["msg_signature"] = "0" * 40
    response = client.post("/wecom/callback", query_string=params, data=body)
    assert response.status_code == 403
    assert _member(app, "ann").present is True and _left_alerts(app) == []


def test_the_control_names_a_bad_removal(client):
    response = client.post("/_sandbox/control/directory", json={"remove": "ann"})
    assert response.status_code == 422 and "remove" in response.get_json()["errors"]


def test_an_older_event_delivered_late_changes_nothing(app, client, org, sandbox):
    """WeCom retries a callback it could not deliver: a change made before the member left,
    arriving after the leave, does not bring the member back, nor does an older department
    name replace a newer one."""
    _change(client, departments=[{"id": 301, "name": "杭州C店"}])
    _change(client, members=[{"userid": "lin_yu", "name": "林雨", "department": [301]}])
    now = int(sandbox.now())
    user = {"Event": "change_contact", "UserID": "lin_yu"}
    fire_wecom_event(sandbox, user | {"ChangeType": "delete_user", "CreateTime": now + 60})
    fire_wecom_event(
        sandbox, user | {"ChangeType": "update_user", "Name": "林小雨", "CreateTime": now + 30}
    )
    member = _member(app, "lin_yu")
    assert (member.name, member.present) == ("林雨", False)
    party = {"Event": "change_contact", "ChangeType": "update_party", "Id": "301"}
    fire_wecom_event(sandbox, party | {"Name": "杭州西湖店", "CreateTime": now + 90})
    fire_wecom_event(sandbox, party | {"Name": "杭州旧名", "CreateTime": now + 80})
    with app.app_context():
        assert db.session.get(WecomDepartment, 301).name == "杭州西湖店"
    # the same second again applies (WeCom's time is in whole seconds)
    fire_wecom_event(sandbox, party | {"Name": "杭州湖滨店", "CreateTime": now + 90})
    with app.app_context():
        assert db.session.get(WecomDepartment, 301).name == "杭州湖滨店"
