"""The read-back of WeCom's group-chat statistics (``groupchat/statistic``, doc 92133)
against the emulator: figures from the traffic the emulator saw, pages of at most 100
owners, WeCom's rules refused before calling (and by the emulator: 40058, 81017), a run
that stops half-way resumes with what is missing, a second run calls nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import SHANGHAI, shanghai_day
from app.extensions import db
from app.wechat import wecom
from app.wechat.errors import WeChatAPIError, WeChatUnavailable
from app.wechat.sandbox.wecom_statistic import record_messages
from app.wechat.wecom_statistic import StatisticRequestError, check_request, groupchat_statistic
from community.models import GroupChatStat, WecomGroup
from community.services import chat_statistics

API = "externalcontact/groupchat/statistic"


def _noon(day) -> float:
    return datetime.combine(day, time(12), tzinfo=SHANGHAI).timestamp()


def _calls(sandbox) -> int:
    return sum(n for key, n in sandbox.rate.items() if key.startswith(API + "|"))


def _owners(sandbox, count: int, created) -> list[str]:
    """``count`` owners with one group each, in Siyu and in the emulator."""
    userids = [f"own{i:03d}" for i in range(count)]
    db.session.add_all(
        WecomGroup(chat_id=f"wrSTAT{i:05d}", owner_userid=u, name=u) for i, u in enumerate(userids)
    )
    db.session.commit()
    sandbox.create_groups(
        [
            {
                "chat_id": f"wrSTAT{i:05d}",
                "owner": u,
                "create_time": int(created),
                "members": [{"userid": f"wm{u}", "join_time": int(created)}],
            }
            for i, u in enumerate(userids)
        ]
    )
    return userids


def test_figures_come_from_what_the_emulator_saw(ctx, sandbox):
    today = shanghai_day()
    yesterday = today - timedelta(days=1)
    _owners(sandbox, 1, _noon(today - timedelta(days=3)))
    chat = "wrSTAT00000"
    sandbox.create_groups([{"chat_id": "wrSTATNEW", "owner": "own000",
                            "create_time": int(_noon(yesterday))}])  # fmt: skip
    group = sandbox.data["groups"][chat]
    group["member_list"].append({"userid": "wmNEW", "type": 2, "join_time": int(_noon(yesterday))})
    record_messages(sandbox, chat, "wmNEW", 3, ts=_noon(yesterday))
    sandbox.data["quota"][f"{chat}|{yesterday.isoformat()}"] = 1  # a send confirmed that day
    record_messages(sandbox, chat, "wmown000", 5, ts=_noon(today))  # today: not asked

    result = chat_statistics.read_back(today, days=3)

    assert result == {"days": 3, "calls": 3, "rows": 3}
    row = db.session.scalar(select(GroupChatStat).where(GroupChatStat.day == yesterday))
    assert (row.owner_userid, row.chat_total, row.new_chat_cnt) == ("own000", 2, 1)
    assert (row.member_total, row.new_member_cnt) == (4, 2)  # owner ×2 groups, old, new
    assert (row.msg_total, row.chat_has_msg, row.member_has_msg) == (4, 1, 2)
    before = db.session.scalar(
        select(GroupChatStat).where(GroupChatStat.day == today - timedelta(days=2))
    )
    assert (before.chat_total, before.member_total, before.msg_total) == (1, 2, 0)


def test_pages_of_100_owners_and_a_second_run_calls_nothing(ctx, sandbox):
    today = shanghai_day()
    _owners(sandbox, 150, _noon(today - timedelta(days=5)))

    first = chat_statistics.read_back(today, days=2)

    assert first == {"days": 2, "calls": 4, "rows": 300}
    assert _calls(sandbox) == 4
    assert db.session.scalar(select(func.count()).select_from(GroupChatStat)) == 300
    again = chat_statistics.read_back(today, days=2)
    assert again == {"days": 2, "calls": 0, "rows": 0}
    assert _calls(sandbox) == 4


def test_a_run_stopped_half_way_resumes_with_what_is_missing(ctx, sandbox, monkeypatch):
    today = shanghai_day()
    _owners(sandbox, 150, _noon(today - timedelta(days=5)))
    real = chat_statistics.groupchat_statistic_all
    seen = []

    def fail_second(*args, **kw):
        seen.append(args[2])
        if len(seen) == 2:
            raise WeChatUnavailable("WeCom down", api=API)
        return real(*args, **kw)

    monkeypatch.setattr(chat_statistics, "groupchat_statistic_all", fail_second)
    with pytest.raises(WeChatUnavailable):
        chat_statistics.read_back(today, days=1)
    assert db.session.scalar(select(func.count()).select_from(GroupChatStat)) == 100
    monkeypatch.setattr(chat_statistics, "groupchat_statistic_all", real)

    resumed = chat_statistics.read_back(today, days=1)

    assert resumed == {"days": 1, "calls": 1, "rows": 50}
    owners = db.session.scalars(select(GroupChatStat.owner_userid)).all()
    assert len(owners) == len(set(owners)) == 150


@pytest.mark.parametrize(
    ("back_from", "back_to", "owners", "limit", "field"),
    [
        (1, 0, 1, 1000, "day_end_time"),  # today: not yet counted
        (181, 180, 1, 1000, "day_begin_time"),  # WeCom keeps 180 days
        (31, 1, 1, 1000, "day_end_time"),  # 31 days in one call
        (2, 3, 1, 1000, "day_end_time"),  # ends before it begins
        (1, 1, 0, 1000, "owner_filter"),  # without it: 81017 above 1,000 owners
        (1, 1, 101, 1000, "owner_filter"),
        (1, 1, 1, 1001, "limit"),
    ],
)
def test_rules_are_refused_before_calling(ctx, sandbox, back_from, back_to, owners, limit, field):
    today = shanghai_day()
    userids = [f"u{i}" for i in range(owners)]
    with pytest.raises(StatisticRequestError) as refused:
        groupchat_statistic(today - timedelta(days=back_from), today - timedelta(days=back_to),
                            userids, limit=limit, today=today)  # fmt: skip
    assert refused.value.field == field
    assert _calls(sandbox) == 0
    check_request(today - timedelta(days=30), today - timedelta(days=1), ["u"], 1000, today)


def _midnight(day) -> int:
    return int(datetime.combine(day, time(), tzinfo=SHANGHAI).timestamp())


def test_the_emulator_answers_wecoms_codes(ctx, sandbox):
    today = shanghai_day()
    sandbox.create_groups(
        [{"chat_id": f"wrMANY{i:05d}", "owner": f"m{i:05d}"} for i in range(1001)]
    )
    yesterday = _midnight(today - timedelta(days=1))
    with pytest.raises(WeChatAPIError) as too_many:
        wecom.wecom_post(API, {"day_begin_time": yesterday})
    assert too_many.value.errcode == 81017
    cases = [
        {"day_begin_time": _midnight(today)},
        {"day_begin_time": _midnight(today - timedelta(days=181))},
        {"day_begin_time": _midnight(today - timedelta(days=40)), "day_end_time": yesterday},
        {
            "day_begin_time": yesterday,
            "owner_filter": {"userid_list": [str(i) for i in range(101)]},
        },
        {"day_begin_time": yesterday, "owner_filter": {"userid_list": ["a"]}, "limit": 0},
    ]
    for body in cases:
        with pytest.raises(WeChatAPIError) as refused:
            wecom.wecom_post(API, body)
        assert refused.value.errcode == 40058, body
    page = wecom.wecom_post(
        API,
        {
            "day_begin_time": yesterday,
            "owner_filter": {"userid_list": ["m00001", "m00002"]},
            "limit": 1,
        },
    )
    assert (page["total"], page["next_offset"], len(page["items"])) == (2, 1, 1)


def test_read_now_over_the_api_and_the_page(ctx, org, sandbox, client, as_hq, as_owner_a):
    from tests.fixtures.auth import csrf_token_from, login

    _owners(sandbox, 2, _noon(shanghai_day() - timedelta(days=3)))
    assert client.post("/api/v1/chat-statistics/read", headers=as_owner_a).status_code == 403
    sandbox.add_fault(API, {"errcode": 45009, "count": 1})
    down = client.post("/api/v1/chat-statistics/read", headers=as_hq)
    assert down.status_code == 502 and down.get_json()["code"] == "wecom_unavailable"
    body = client.post("/api/v1/chat-statistics/read", headers=as_hq).get_json()
    assert body == {"days": 30, "calls": 30, "rows": 60}
    login(client, "hq")
    token = csrf_token_from(client.get("/admin/schedule").get_data(as_text=True))
    page = client.post("/admin/chat-statistics/read", data={"csrf_token": token, "next": "//evil"})
    assert page.status_code == 303 and page.headers["Location"].endswith("/admin/plans")


def test_a_day_read_the_morning_after_is_read_once_more_later(ctx, sandbox):
    today = shanghai_day()
    yesterday = today - timedelta(days=1)
    _owners(sandbox, 1, _noon(today - timedelta(days=5)))
    assert chat_statistics.read_back(today, days=3)["calls"] == 3
    record_messages(sandbox, "wrSTAT00000", "wmown000", 7, ts=_noon(yesterday))  # counted late
    sandbox.advance(86400)  # the next night

    later = chat_statistics.read_back(today + timedelta(days=1), days=3)

    assert later == {"days": 3, "calls": 2, "rows": 2}  # yesterday again, and today
    row = db.session.scalar(select(GroupChatStat).where(GroupChatStat.day == yesterday))
    assert row.msg_total == 7
    assert db.session.scalar(select(func.count()).select_from(GroupChatStat)) == 4


def test_the_control_endpoint_records_a_past_day(ctx, sandbox, client):
    """``day`` puts what members said on a past day (the demo's history); a day in the
    future, over 180 days back or malformed is 422 naming ``day``."""
    today = shanghai_day()
    _owners(sandbox, 1, _noon(today - timedelta(days=10)))
    url = "/_sandbox/control/chat-messages"
    three_ago = (today - timedelta(days=3)).isoformat()
    body = {"chat_id": "wrSTAT00000", "userid": "wmown000", "count": 4, "day": three_ago}
    assert client.post(url, json=body).status_code == 200
    for bad in ((today + timedelta(days=1)).isoformat(), "2020-01-01", "monday"):
        answer = client.post(url, json={**body, "day": bad})
        assert answer.status_code == 422 and "day" in answer.get_json()["errors"]
    chat_statistics.read_back(today, days=5)
    row = db.session.scalar(
        select(GroupChatStat).where(GroupChatStat.day == today - timedelta(days=3))
    )
    assert (row.msg_total, row.member_has_msg) == (4, 1)
