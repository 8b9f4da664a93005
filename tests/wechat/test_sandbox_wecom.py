"""The unchanged wechatpy WeCom client against the sandbox: tokens, limits, group sends."""

from __future__ import annotations

import pytest

from app.wechat import callbacks, wecom
from app.wechat.clients import wecom_client
from app.wechat.errors import (
    WeChatAPIError,
    WeChatRateLimited,
    WeChatUnavailable,
    as_retry_later,
)


def _groups(sandbox, owner="guide-a", n=2):
    return sandbox.create_groups(
        [
            {"name": f"g{i}", "owner": owner, "members": [{"userid": f"wm{owner}{i}", "type": 2}]}
            for i in range(n)
        ]
    )


def _token_count(sandbox, kind="wecom"):
    return sum(1 for t in sandbox.data["tokens"].values() if t["kind"] == kind)


def test_expired_token_is_refetched_once_and_the_call_succeeds(app, sandbox, client):
    ids = _groups(sandbox)
    api = wecom_client()
    assert [g["chat_id"] for g in wecom.groupchat_list_all(client=api)] == ids
    assert _token_count(sandbox) == 1
    old = api.session.get(api.access_token_key)
    # the sandbox rejects the old token once its TTL has passed on the sandbox clock
    sandbox.advance(app.config["SANDBOX_TOKEN_TTL"] + 1)
    res = client.post(
        f"/_sandbox/qyapi/cgi-bin/externalcontact/groupchat/list?access_token={old}", data=b"{}"
    )
    assert res.get_json()["errcode"] == 42001
    # a fresh client reads the (stale) token from Redis, gets 42001, refetches, succeeds
    assert len(wecom.groupchat_list_all(client=wecom_client())) == 2
    assert _token_count(sandbox) == 2
    assert api.session.get(api.access_token_key) != old


def test_unknown_token_is_40014_and_recovers(sandbox, client):
    _groups(sandbox)
    res = client.post(
        "/_sandbox/qyapi/cgi-bin/externalcontact/groupchat/list?access_token=x", data=b"{}"
    )
    assert res.get_json()["errcode"] == 40014
    api = wecom_client()
    api.session.set(api.access_token_key, "sbx-wecom-forged")
    assert len(wecom.groupchat_list_all(client=api)) == 2


def test_wrong_secret_is_refused(app, sandbox, client):
    res = client.get(
        "/_sandbox/qyapi/cgi-bin/gettoken",
        query_string={"corpid": app.config["WECOM_CORP_ID"], "corpsecret": "not-the-secret"},
    )
    assert res.get_json()["errcode"] == 40001
    api = wecom_client()
    api.secret = "not-the-secret"
    with pytest.raises(WeChatAPIError) as info:
        wecom.groupchat_list_all(client=api)
    assert info.value.errcode == 40001


def test_token_refresh_that_keeps_failing_does_not_loop(sandbox, sbx):
    _groups(sandbox)
    sbx.post("faults", {"api": "groupchat/list", "errcode": 42001, "count": 5})
    with pytest.raises(WeChatUnavailable) as info:  # a passing outage: the outbox retries
        wecom.groupchat_list_all()
    assert info.value.errcode == 42001
    assert _token_count(sandbox) == 2  # the first fetch and exactly one refresh


def test_rate_limit_45009_raises_rate_limited(app, sandbox, monkeypatch):
    monkeypatch.setitem(app.config, "WECOM_RATE_PER_MINUTE", 3)
    chat_id = _groups(sandbox, n=1)[0]
    api = wecom_client()
    for _ in range(3):
        wecom.groupchat_get(chat_id, client=api)
    with pytest.raises(WeChatRateLimited) as info:
        wecom.groupchat_get(chat_id, client=api)
    assert info.value.errcode == 45009 and info.value.retry_after > 0
    retry = as_retry_later(info.value)
    assert retry is not None and retry.delay == info.value.retry_after
    sandbox.advance(60)  # next minute on the sandbox clock
    assert wecom.groupchat_get(chat_id, client=api)["chat_id"] == chat_id


def test_injected_faults(sandbox, sbx):
    chat_id = _groups(sandbox, n=1)[0]
    sbx.post("faults", {"api": "add_msg_template", "http_status": 502})
    body = wecom.group_send_body("guide-a", [chat_id], "hello")
    with pytest.raises(WeChatUnavailable):
        wecom.add_msg_template(body)
    sbx.post("faults", {"api": "add_msg_template", "errcode": 45009, "count": 2})
    for _ in range(2):
        with pytest.raises(WeChatRateLimited):
            wecom.add_msg_template(body)
    assert wecom.add_msg_template(body)["msgid"]
    assert as_retry_later(WeChatAPIError("x")) is None


@pytest.mark.parametrize(
    "change, errcode",
    [
        ({"chat_id_list": [f"wr{i}" for i in range(2001)]}, 40058),
        ({"text": {"content": "a" * 4001}}, 40058),
        ({"text": {"content": "中" * 1334}}, 40058),  # 4002 bytes in UTF-8
        ({"attachments": [{"msgtype": "link", "link": {"url": "u"}}] * 10}, 40058),
        ({"sender": None}, 40063),  # 参数为空: sender is required for a group send
        ({"attachments": [{"msgtype": "voice", "voice": {"media_id": "m"}}]}, 41065),
        ({"attachments": [{"msgtype": "image", "image": {"media_id": "nope"}}]}, 40007),
        ({"chat_id_list": ["wrunknown"]}, 41048),  # 无可发送的客户
        ({"sender": "guide-b"}, 41048),  # the listed group is not guide-b's
    ],
)
def test_add_msg_template_limits_are_refused(sandbox, change, errcode):
    chat_id = _groups(sandbox, n=1)[0]
    body = {
        "chat_type": "group",
        "sender": "guide-a",
        "chat_id_list": [chat_id],
        "text": {"content": "ok"},
    }
    body.update(change)
    with pytest.raises(WeChatAPIError) as info:
        wecom.add_msg_template(body)
    assert info.value.errcode == errcode
    assert not sandbox.data["tasks"]


def test_add_msg_template_at_the_limits_is_accepted(sandbox):
    chat_id = _groups(sandbox, n=1)[0]
    body = wecom.group_send_body(
        "guide-a", [chat_id], "字" * 1333 + "a", [{"msgtype": "link", "link": {"url": "u"}}] * 9
    )
    assert wecom.add_msg_template(body)["fail_list"] == []
    with pytest.raises(ValueError):
        wecom.group_send_body("", [chat_id], "x")


def test_day_policy_gives_status_3_on_a_second_send_the_same_day(sandbox, sbx):
    """Under the corp's strictest receiving limit (1 a day; WeCom's default is a month's
    days a month, see tests/community/test_receiving_limit_sandbox.py)."""
    assert sbx.post("flags", {"receiving_limit": "day"}).status_code == 200
    a, b = _groups(sandbox)
    other = _groups(sandbox, owner="guide-b", n=1)[0]
    first = wecom.add_msg_template(wecom.group_send_body("guide-a", [a, b, other], "first"))
    assert first["fail_list"] == [other]  # not owned by the sender
    task = wecom.get_groupmsg_task(first["msgid"])["task_list"][0]
    assert task["status"] == 0
    rows = wecom.get_groupmsg_send_result_all(first["msgid"], "guide-a")
    assert {r["chat_id"]: r["status"] for r in rows} == {a: 0, b: 0}  # waits for the guide
    assert sbx.post(f"tasks/{first['msgid']}/confirm").status_code == 200
    rows = wecom.get_groupmsg_send_result_all(first["msgid"], "guide-a")
    assert {r["chat_id"]: r["status"] for r in rows} == {a: 1, b: 1}
    assert all(r["send_time"] > 0 for r in rows)
    assert wecom.get_groupmsg_task(first["msgid"])["task_list"][0]["status"] == 2

    second = wecom.add_msg_template(wecom.group_send_body("guide-a", [a], "second"))
    sbx.post(f"tasks/{second['msgid']}/confirm")
    rows = wecom.get_groupmsg_send_result_all(second["msgid"], "guide-a")
    assert [(r["chat_id"], r["status"]) for r in rows] == [(a, 3)]

    sbx.post("clock", {"advance_seconds": 86400})  # the next Asia/Shanghai day
    third = wecom.add_msg_template(wecom.group_send_body("guide-a", [a], "third"))
    sandbox.confirm_task(third["msgid"])
    rows = wecom.get_groupmsg_send_result_all(third["msgid"], "guide-a")
    assert [(r["chat_id"], r["status"]) for r in rows] == [(a, 1)]


def test_remind_at_most_three_times_a_day(sandbox):
    chat_id = _groups(sandbox, n=1)[0]
    msgid = wecom.add_msg_template(wecom.group_send_body("guide-a", [chat_id], "hi"))["msgid"]
    for _ in range(3):
        wecom.remind_groupmsg_send(msgid)
    with pytest.raises(WeChatRateLimited) as info:  # 45009 接口调用超过限制, not 41095
        wecom.remind_groupmsg_send(msgid)
    assert info.value.errcode == 45009
    sandbox.advance(86401)
    wecom.remind_groupmsg_send(msgid)


def test_nothing_to_send_to_makes_no_task(sandbox):
    _groups(sandbox, owner="guide-a", n=1)
    body = wecom.group_send_body("guide-z", [], "hi")  # no list: all of guide-z's groups
    with pytest.raises(WeChatAPIError) as info:
        wecom.add_msg_template(body)
    assert info.value.errcode == 41048
    assert sandbox.data["tasks"] == {}


@pytest.mark.parametrize(
    "call",
    [
        lambda m: wecom.get_groupmsg_task(m),
        lambda m: wecom.get_groupmsg_send_result(m, "guide-a"),
        lambda m: wecom.remind_groupmsg_send(m),
    ],
    ids=["get_groupmsg_task", "get_groupmsg_send_result", "remind_groupmsg_send"],
)
def test_missing_and_unknown_msgid_are_41046_and_41047(sandbox, call):
    for msgid, errcode in (("", 41046), ("msgSBXnever", 41047)):
        with pytest.raises(WeChatAPIError) as info:
            call(msgid)
        assert info.value.errcode == errcode  # not 40058 不合法的参数


def test_groupchat_list_pages_and_filters(sandbox):
    a = _groups(sandbox, "guide-a", 5)
    b = _groups(sandbox, "guide-b", 3)
    assert [g["chat_id"] for g in wecom.groupchat_list_all(limit=2)] == a + b
    assert [g["chat_id"] for g in wecom.groupchat_list_all(owner_userids=["guide-b"])] == b
    with pytest.raises(WeChatAPIError):
        wecom.groupchat_list_all(limit=1001)
    with pytest.raises(WeChatAPIError) as info:
        wecom.groupchat_get("wrmissing")
    assert info.value.errcode == 40050


def test_seed_groups_for_the_demo(sandbox):
    ids = sandbox.seed_groups(["g1", "g2", "g3"], 60, members_per_group=5)
    assert len(ids) == 60
    owned = wecom.groupchat_list_all(owner_userids=["g2"])
    assert len(owned) == 20
    detail = wecom.groupchat_get(owned[0]["chat_id"])
    assert detail["owner"] == "g2" and len(detail["member_list"]) == 6


def test_member_changes_fire_encrypted_callbacks(app, sandbox, sbx):
    events: list[dict] = []
    callbacks.subscribe(app, "change_external_chat:update", events.append)
    created: list[dict] = []
    callbacks.subscribe(app, "change_external_chat", created.append)
    try:
        res = sbx.post(
            "groups",
            {
                "groups": [
                    {"name": "VIP", "owner": "guide-a", "members": [{"userid": "wm1", "type": 2}]}
                ]
            },
        )
        chat_id = res.get_json()["chat_ids"][0]
        assert created[0]["ChangeType"] == "create" and created[0]["ChatId"] == chat_id
        res = sbx.post(
            f"groups/{chat_id}/members",
            {"members": [{"userid": "wm2", "type": 2, "unionid": "ou2"}], "join_scene": 3},
        )
        assert res.get_json()["callback"]["status"] == "delivered"
        assert events[-1]["UpdateDetail"] == "add_member"
        assert events[-1]["ChatId"] == chat_id
        assert events[-1]["JoinScene"] == "3" and events[-1]["MemChangeCnt"] == "1"
        assert events[-1]["MemChangeList"] == ["wm2"]
        res = app.test_client().delete(f"/_sandbox/control/groups/{chat_id}/members/wm1")
        assert res.status_code == 200
        assert events[-1]["UpdateDetail"] == "del_member"
        assert events[-1]["MemChangeList"] == ["wm1"]
        members = {m["userid"] for m in wecom.groupchat_get(chat_id)["member_list"]}
        assert members == {"guide-a", "wm2"}
    finally:
        callbacks.unsubscribe(app, "change_external_chat:update", events.append)
        callbacks.unsubscribe(app, "change_external_chat", created.append)


def test_failing_subscriber_gets_the_callback_retried(app, sandbox, sbx):
    calls: list[dict] = []

    def flaky(event):
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("database down")

    callbacks.subscribe(app, "change_external_chat:update", flaky)
    try:
        chat_id = _groups(sandbox, n=1)[0]
        res = sbx.post(f"groups/{chat_id}/members", {"members": [{"userid": "wm9"}]})
        assert res.get_json()["callback"]["status"] == "pending"
        assert sbx.post("flush").get_json()["delivered"][0]["status"] == "delivered"
        assert len(calls) == 2
    finally:
        callbacks.unsubscribe(app, "change_external_chat:update", flaky)


def test_living(sandbox, sbx):
    livingid = wecom.living_create(
        {
            "anchor_userid": "guide-a",
            "theme": "新品发布",
            "living_start": 1800000000,
            "living_duration": 3600,
        }
    )
    info = wecom.get_living_info(livingid)
    assert info["theme"] == "新品发布" and info["anchor_userid"] == "guide-a"
    viewers = [
        {"external_userid": f"wm{i}", "type": 1, "name": f"c{i}", "watch_time": 60}
        for i in range(150)
    ]
    sbx.post(
        f"livings/{livingid}/viewers",
        {"external_users": viewers, "users": [{"userid": "guide-b", "watch_time": 5}]},
    )
    stats = wecom.get_watch_stat_all(livingid)
    assert len(stats["external_users"]) == 150 and len(stats["users"]) == 1
    first = wecom.get_watch_stat(livingid)
    assert first["ending"] == 0 and first["next_key"]
    with pytest.raises(WeChatAPIError):
        wecom.get_living_info("lvmissing")
