"""A post's image outlives WeCom's 3-day temporary media: the file is kept and uploaded
again before a send once its upload is older than 2.5 days; the sandbox, like WeCom,
refuses an expired media_id (40007)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app import outbox
from app.clock import utcnow
from app.extensions import db
from community.models import ContentMedia, ContentPost, SendBatch
from community.services import delivery
from tests.community.factories_delivery import gen_image_post, prepare
from tests.fixtures.media import tiny_png


def test_a_stale_image_is_uploaded_again_before_the_send(ctx, org, app):
    from app.wechat.sandbox import sandbox_state

    sandbox = sandbox_state(app)
    day, _ = prepare(org, sandbox, groups_per_guide=1)
    post = gen_image_post()
    old_id = post.attachments[0]["image"]["media_id"]
    assert db.session.scalars(select(ContentMedia)).one().media_id == old_id
    delivery.create_batches(day)
    for batch in db.session.scalars(select(SendBatch)):
        batch.post_id = post.id  # send the image post
    # four days later: WeCom forgot the media id
    sandbox.data["clock_offset"] += 4 * 86400
    db.session.execute(update(ContentMedia).values(uploaded_at=utcnow() - timedelta(days=4)))
    db.session.commit()
    assert outbox.drain() == 2
    rows = db.session.scalars(select(outbox.OutboxMessage)).all()
    assert {r.status for r in rows} == {"done"}
    new_id = db.session.get(ContentPost, post.id).attachments[0]["image"]["media_id"]
    assert new_id != old_id and db.session.scalars(select(ContentMedia)).one().media_id == new_id
    sent = [t["attachments"][0]["image"]["media_id"] for t in sandbox.data["tasks"].values()]
    assert sent == [new_id, new_id]  # uploaded once, used by both batches


def test_the_sandbox_refuses_an_expired_media_id(ctx, app):
    from app.wechat import wecom
    from app.wechat.errors import WeChatAPIError
    from app.wechat.sandbox import sandbox_state

    media_id = wecom.upload_image("a.png", tiny_png())
    sandbox_state(app).data["clock_offset"] += 3 * 86400 + 1
    body = {
        "chat_type": "group",
        "sender": "ann",
        "chat_id_list": [],
        "attachments": [{"msgtype": "image", "image": {"media_id": media_id}}],
    }
    try:
        wecom.add_msg_template(body)
    except WeChatAPIError as exc:
        assert exc.errcode == 40007
    else:
        raise AssertionError("an expired media_id was accepted")
