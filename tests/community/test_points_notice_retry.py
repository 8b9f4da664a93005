"""A points reminder WeChat refused (43101: no subscription) is left to the guide; the next
daily reminder run tries it once more while the points have not expired, so a customer
who subscribed since gets it; a second refusal stays with the guide for good, and running
the day again retries nothing (once, however often the job runs)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import outbox
from app.clock import shanghai_day
from app.extensions import db
from app.wechat.sandbox.miniprogram import accept_subscription, identity_for_code
from community.models.journeys import JourneySend
from community.services import journey_sends, points_reminders
from franchise.services import member_settings, points_expiry
from tests.community.factories_journeys import gen_journey
from tests.franchise.factories_commerce import gen_customer
from tests.franchise.factories_members import paid_order

TEMPLATE = "SiyuSandboxPointsExpiringTpl01"


def _state(customer_id: int) -> tuple[str, str | None, bool]:
    send = db.session.scalars(
        select(JourneySend).where(JourneySend.customer_id == customer_id)
    ).one()
    return send.status, send.reason, send.notice_retried_at is not None


def test_a_refused_reminder_is_retried_once_before_the_expiry(app, org, sandbox):
    on = shanghai_day() + timedelta(days=40)
    with app.app_context():
        member_settings.save({"expiry": "days", "expiry_days": 40, "reminder_days": 7})
        gen_journey("points_expiring", waits=(0,), name="积分到期", days_before=3)
        later, never = (
            gen_customer(org.fa, org.sa, org.ga, nickname=name) for name in ("后来订阅", "从未订阅")
        )
        later.openid = identity_for_code("code-retry-later")["openid"]
        never.openid = identity_for_code("code-retry-never")["openid"]
        db.session.commit()
        ids = (later.id, never.id)
        for customer_id in ids:
            paid_order(customer_id, org.fa, 20_000)  # 200 points, ending on ``on``
        assert points_expiry.remind(on - timedelta(days=7)) == 2
        assert journey_sends.dispatch(on - timedelta(days=3))["queued"] == 2
        outbox.drain()
        assert [_state(c) for c in ids] == [("skipped", "tell_in_person", False)] * 2
        assert sandbox.data.get("subscribe_messages", []) == []

        # the customer subscribes in the mini-program afterwards
        accept_subscription(sandbox, later.openid, TEMPLATE)
        assert points_reminders.retry_refused(on) == 0  # the points have expired by then
        points_expiry.remind(on - timedelta(days=2))  # the next daily run
        outbox.drain()
        assert _state(ids[0]) == ("sent", "mp_message", True)
        assert _state(ids[1]) == ("skipped", "tell_in_person", True)  # still the guide's
        messages = sandbox.data["subscribe_messages"]
        assert [m["touser"] for m in messages] == [later.openid]
        assert messages[0]["data"]["number1"]["value"] == "200"

        # once: the same run again, the next day, even after a late subscription
        accept_subscription(sandbox, never.openid, TEMPLATE)
        points_expiry.remind(on - timedelta(days=2))
        points_expiry.remind(on - timedelta(days=1))
        outbox.drain()
        assert len(sandbox.data["subscribe_messages"]) == 1
        assert _state(ids[1]) == ("skipped", "tell_in_person", True)
        figures = points_reminders.figures(on)
        assert (figures["messaged"], figures["for_guide"]) == (1, 1)
