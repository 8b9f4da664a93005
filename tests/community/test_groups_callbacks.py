"""change_external_chat callbacks through the real /wecom/callback route (fired, encrypted,
by the sandbox's control endpoints): create, members joining and leaving, dismiss."""

from __future__ import annotations

from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from app.wechat.callbacks import dispatch
from community.models.groups import GroupDailyMetric, GroupMember
from tests.community.factories_groups import control_group, group_of_chat


def _today(group_id: int) -> GroupDailyMetric:
    return db.session.scalars(
        select(GroupDailyMetric).where(
            GroupDailyMetric.group_id == group_id, GroupDailyMetric.day == shanghai_day()
        )
    ).one()


def _create(client, chat_id="wrCB0001") -> str:
    return control_group(client, chat_id, "回调群", "wmCB1")


def test_create_callback_fetches_and_upserts_the_group(app, org, client):
    chat_id = _create(client)
    with app.app_context():
        group = group_of_chat(chat_id)
        assert group.name == "回调群" and group.guide_id == org.ga and group.store_id == org.sa
        assert group.member_count == 2 and group.customer_count == 1


def test_members_joining_and_leaving_update_members_counts_and_metrics(app, org, client):
    chat_id = _create(client)
    response = client.post(
        f"/_sandbox/control/groups/{chat_id}/members",
        json={"members": [{"userid": "wmCB2", "type": 2}, {"userid": "wmCB3", "type": 2}]},
    )
    assert response.status_code == 200
    assert response.get_json()["callback"]["status"] == "delivered"  # answered "success"
    with app.app_context():
        group = group_of_chat(chat_id)
        assert group.member_count == 4 and group.customer_count == 3
        assert _today(group.id).joins == 2
        scene = db.session.scalars(
            select(GroupMember.join_scene).where(GroupMember.userid == "wmCB2")
        ).one()
        assert scene == 3
    response = client.delete(f"/_sandbox/control/groups/{chat_id}/members/wmCB2")
    assert response.status_code == 200
    with app.app_context():
        group = group_of_chat(chat_id)
        left = db.session.scalars(select(GroupMember).where(GroupMember.userid == "wmCB2")).one()
        assert left.left_at is not None  # kept, marked left
        assert group.member_count == 3 and group.customer_count == 2
        metric = _today(group.id)
        assert (metric.joins, metric.leaves, metric.member_count) == (2, 1, 3)


def test_retried_events_change_nothing(app, org, client):
    chat_id = _create(client)
    client.post(
        f"/_sandbox/control/groups/{chat_id}/members", json={"members": [{"userid": "wmR"}]}
    )
    client.delete(f"/_sandbox/control/groups/{chat_id}/members/wmCB1")
    add = {
        "MsgType": "event",
        "Event": "change_external_chat",
        "ChatId": chat_id,
        "ChangeType": "update",
        "UpdateDetail": "add_member",
        "MemChangeList": ["wmR"],
    }
    delete = {**add, "UpdateDetail": "del_member", "MemChangeList": ["wmCB1"]}
    with app.test_request_context():
        for _ in range(2):
            assert dispatch(app, dict(add)) >= 1
            dispatch(app, dict(delete))
        group = group_of_chat(chat_id)
        metric = _today(group.id)
        assert (metric.joins, metric.leaves) == (1, 1)
        assert group.member_count == 2
        count = db.session.scalars(select(GroupMember).where(GroupMember.group_id == group.id))
        assert len(count.all()) == 3


def test_dismiss_marks_the_group_dismissed(app, org, client, sandbox):
    from app.wechat.sandbox.delivery import fire_wecom_event

    chat_id = _create(client)
    event = {"Event": "change_external_chat", "ChatId": chat_id, "ChangeType": "dismiss"}
    with app.app_context():
        first = fire_wecom_event(sandbox, event)
        second = fire_wecom_event(sandbox, event)  # WeCom retries: still fine
    assert first["status"] == second["status"] == "delivered"
    with app.app_context():
        group = group_of_chat(chat_id)
        assert group.status == "dismissed" and group.dismissed_at is not None
