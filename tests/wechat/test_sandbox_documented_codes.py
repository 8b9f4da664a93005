"""The emulator answers WeCom's documented codes (全局错误码, the call pages) where one
exists: a stale welcome code 41050, an unknown 联系我 config_id 41044, more than 100
members on a way 41041, the corp's 3,000 tags 40126, a 6th group on a join way 41091, the
shared way quota 41045, an on-job customer hand-over past 2 in 90 days 40128, a 离职继承
of a member still in the corp 40097 and an 在职继承 of one who left 40003."""

from __future__ import annotations

import pytest

BASE = "/_sandbox/qyapi/cgi-bin/externalcontact/"


@pytest.fixture
def call(client, sandbox):
    token = sandbox.issue_token("wecom")[0]

    def post(api: str, body: dict) -> dict:
        return client.post(f"{BASE}{api}?access_token={token}", json=body).get_json()

    return post


def test_contact_way_and_welcome_codes(call, sandbox):
    many = {"type": 2, "scene": 2, "user": [f"u{i}" for i in range(101)]}
    assert call("add_contact_way", many)["errcode"] == 41041
    made = call("add_contact_way", {"type": 2, "scene": 2, "user": ["ann", "amy"]})
    assert call("update_contact_way", {**many, "config_id": made["config_id"]})["errcode"] == 41041
    assert call("update_contact_way", {"config_id": "nope", "user": ["ann"]})["errcode"] == 41044
    assert call("del_contact_way", {"config_id": "nope"})["errcode"] == 41044
    sandbox.data["resigned"].append("amy")
    left = {"config_id": made["config_id"], "user": ["ann", "amy"]}
    assert call("update_contact_way", left)["errcode"] == 40003
    sandbox.data.setdefault("welcome_codes", {})["W"] = {
        "issued_at": sandbox.now() - 21,
        "used": False,
        "userid": "ann",
        "external_userid": "wmX",
    }
    hi = {"text": {"content": "hi"}}
    assert call("send_welcome_msg", {"welcome_code": "W", **hi})["errcode"] == 41050


def test_corp_tag_quota_is_40126(call, monkeypatch):
    from app.wechat.sandbox import wecom_tags

    monkeypatch.setattr(wecom_tags, "MAX_CORP_TAGS", 2)
    first = call(
        "add_corp_tag", {"group_name": "偏好", "tag": [{"name": "古法金"}, {"name": "钻石"}]}
    )
    assert first["errcode"] == 0
    assert (
        call("add_corp_tag", {"group_name": "偏好", "tag": [{"name": "银饰"}]})["errcode"] == 40126
    )


def test_join_way_quota_and_group_count(call, sandbox, monkeypatch):
    from app.wechat.sandbox import wecom_join_way
    from app.wechat.sandbox.wecom_groups import create_groups

    chats = create_groups(sandbox, [{"owner": "ann"} for _ in range(6)])
    body = {"scene": 2, "chat_id_list": chats[:5]}
    assert call("groupchat/add_join_way", {**body, "chat_id_list": chats})["errcode"] == 41091
    assert call("groupchat/add_join_way", body)["errcode"] == 0
    monkeypatch.setattr(wecom_join_way, "CORP_QUOTA", 1)
    assert call("groupchat/add_join_way", body)["errcode"] == 41045


def test_customer_hand_over_codes(call, sandbox):
    sandbox.data["contacts"] = {
        "wmC": {"external_contact": {"external_userid": "wmC"}, "follow_user": [{"userid": "ann"}]}
    }
    now = sandbox.now()
    done = {"external_userid": "wmC", "handover": "ann", "takeover": "amy", "resigned": False}
    sandbox.data["transfers"] = [
        {**done, "status": 1, "requested_at": now - 86400 * d, "takeover_time": now}
        for d in (10, 40)
    ]
    body = {"handover_userid": "ann", "takeover_userid": "bob", "external_userid": ["wmC"]}
    answer = call("transfer_customer", body)
    assert answer["customer"] == [{"external_userid": "wmC", "errcode": 40128}]
    assert call("resigned/transfer_customer", body)["errcode"] == 40097  # ann has not left
    sandbox.data["resigned"].append("ann")
    assert call("transfer_customer", body)["errcode"] == 40003  # a departed member
