"""The crash window of a group send: WeCom made the task, our msgid was never committed.

A retry (attempts > 1) finds that task through ``get_groupmsg_list_v2`` and adopts its
msgid instead of creating a second task; it never adopts another batch's task, and with
no task to find it sends as usual."""

from __future__ import annotations

from sqlalchemy import select

from app import outbox
from app.extensions import db
from app.wechat import wecom
from community.models import ContentPost, SendBatch
from community.services import delivery
from tests.community.factories_delivery import prepare


def _messages():
    return {
        m.payload["batch_id"]: m
        for m in db.session.scalars(select(outbox.OutboxMessage)).all()
        if m.kind == delivery.SEND_KIND
    }


def _body(batch: SendBatch) -> dict:
    post = db.session.get(ContentPost, batch.post_id)
    return wecom.group_send_body(
        batch.sender_userid, list(batch.chat_ids), post.text, list(post.attachments)
    )


def test_retry_adopts_the_task_wecom_made_before_the_crash(ctx, org, sandbox):
    day, _ = prepare(org, sandbox)
    delivery.create_batches(day)
    batches = db.session.scalars(select(SendBatch).order_by(SendBatch.id)).all()
    crashed = batches[0]
    orphan = wecom.add_msg_template(_body(crashed))["msgid"]  # WeCom did it; we died
    messages = _messages()
    for batch in batches:
        message = messages[batch.id]
        message.attempts = 2 if batch.id == crashed.id else 1
        result = delivery.send_batch(message)
        if batch.id == crashed.id:
            assert result == {"msgid": orphan, "adopted": True}
    db.session.expire_all()
    assert db.session.get(SendBatch, crashed.id).msgid == orphan
    assert len(sandbox.data["tasks"]) == len(batches)  # no second task for any batch
    assert len({b.msgid for b in db.session.scalars(select(SendBatch))}) == len(batches)


def test_retry_without_a_task_to_find_sends_and_never_takes_anothers(ctx, org, sandbox):
    day, _ = prepare(org, sandbox)
    delivery.create_batches(day)
    batches = db.session.scalars(select(SendBatch).order_by(SendBatch.id)).all()
    messages = _messages()
    first = delivery.send_batch(messages[batches[0].id])["msgid"]
    # another batch of another sender retries: the first batch's task is not its own
    message = messages[batches[1].id]
    message.attempts = 3
    second = delivery.send_batch(message)
    assert "adopted" not in second and second["msgid"] != first
    assert len(sandbox.data["tasks"]) == 2


def test_list_v2_pages_and_filters_by_creator_and_time(ctx, org, sandbox):
    day, _ = prepare(org, sandbox, groups_per_guide=1)
    delivery.create_batches(day)
    for message in _messages().values():
        delivery.send_batch(message)
    now = int(sandbox.now())
    ann = wecom.get_groupmsg_list_v2_all("ann", now - 3600, now + 60)
    assert [r["creator"] for r in ann] == ["ann"] and ann[0]["create_type"] == 0
    assert wecom.get_groupmsg_list_v2_all("ann", now + 120, now + 3600) == []
