"""The points-expiry reminder through the community's 1:1 pushes: franchise's nightly
reminder hands the members whose points expire soon to the points journeys (the wake-up
one for a dormant member), once per member and expiry day; the sends go through the
guide's WeCom (``chat_type=single``) on their day, a member without a contact gets the
mini-program subscribe message, one without a subscription is left to the guide on the
Today page; HQ's member settings page counts them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import outbox
from app.clock import shanghai_day
from app.extensions import db
from app.wechat.sandbox.miniprogram import accept_subscription, identity_for_code
from community.models.journeys import JourneyEnrolment, JourneySend
from community.services import journey_sends
from franchise.models import Customer
from franchise.services import member_settings, points_expiry
from tests.community.factories_journeys import gen_journey, make_contact
from tests.fixtures.auth import login
from tests.franchise.factories_commerce import gen_customer
from tests.franchise.factories_members import paid_order

TEMPLATE = "SiyuSandboxPointsExpiringTpl01"


def _status(customer_id: int) -> tuple[str, str | None]:
    send = db.session.scalars(
        select(JourneySend).where(JourneySend.customer_id == customer_id)
    ).one()
    return send.status, send.reason


def test_expiring_points_are_reminded_once_by_the_right_channel(client, app, org, sandbox):
    today = shanghai_day()
    on = today + timedelta(days=40)
    with app.app_context():
        member_settings.save({"expiry": "days", "expiry_days": 40, "reminder_days": 7})
        reminder = gen_journey("points_expiring", waits=(0,), name="积分到期", days_before=3)
        wakeup = gen_journey("points_wakeup", waits=(0,), name="积分唤醒", days_before=3)
        awake = gen_customer(org.fa, org.sa, org.ga)
        asleep = gen_customer(org.fa, org.sa, org.ga, tier_label="高价值·沉睡")
        external = make_contact(awake, sandbox)
        make_contact(asleep, sandbox)
        subscribed = gen_customer(org.fa, org.sa, org.ga, nickname="订阅顾客")
        subscribed.openid = identity_for_code("code-points-reminder")["openid"]
        unreachable = gen_customer(org.fa, org.sa, org.ga, nickname="到店告知")
        db.session.commit()
        accept_subscription(sandbox, subscribed.openid, TEMPLATE)
        ids = [c.id for c in (awake, asleep, subscribed, unreachable)]
        for customer_id in ids:
            paid_order(customer_id, org.fa, 20_000)  # 200 points, ending on ``on``
        nobody = gen_customer(org.fa, org.sa, org.ga).id  # holds no points

        assert points_expiry.remind(on - timedelta(days=7)) == 4
        assert points_expiry.remind(on - timedelta(days=7)) == 4  # the job again
        enrolments = db.session.execute(
            select(JourneyEnrolment.customer_id, JourneyEnrolment.journey_id)
        ).all()
        assert sorted(enrolments) == sorted(
            [(ids[0], reminder.id), (ids[1], wakeup.id), (ids[2], reminder.id),
             (ids[3], reminder.id)]
        )  # fmt: skip
        assert nobody not in {c for c, _ in enrolments}
        due = db.session.scalars(select(JourneySend.due_on)).all()
        assert set(due) == {on - timedelta(days=3)}  # the journey's days before expiry

        assert journey_sends.dispatch(on - timedelta(days=4))["queued"] == 0  # not yet
        tally = journey_sends.dispatch(on - timedelta(days=3))
        assert tally["queued"] == 4 and tally["skipped"] == 0
        outbox.drain()
        assert _status(ids[0])[0] == "pending" and _status(ids[1])[0] == "pending"
        awake_send = db.session.scalars(
            select(JourneySend).where(JourneySend.customer_id == ids[0])
        ).one()
        task = sandbox.data["tasks"][awake_send.msgid]
        assert task["chat_type"] == "single" and list(task["results"]) == [external]
        assert awake_send.sent_on == on - timedelta(days=3)  # counted on the receiving limit
        assert _status(ids[2]) == ("sent", "mp_message")
        assert _status(ids[3]) == ("skipped", "tell_in_person")
        messages = sandbox.data["subscribe_messages"]
        assert [m["touser"] for m in messages] == [subscribed.openid]
        assert messages[0]["data"]["number1"]["value"] == "200"

        figures = points_expiry.reminder_figures()
        assert figures is not None and figures["on"] == on and figures["holders"] == 4
        assert (figures["enrolled"], figures["wecom"], figures["messaged"]) == (4, 2, 1)
        assert figures["for_guide"] == 1 and figures["waiting"] == 0

    login(client, "guide-a", path="/m/login")
    page = client.get("/m/tasks").get_data(as_text=True)
    assert "到店告知" in page and "tell them yourself" not in page  # a word, in Chinese
    login(client, "hq")
    settings = client.get("/admin/members/settings").get_data(as_text=True)
    assert 'id="reminders-enrolled">4<' in settings and 'id="reminders-messaged">1<' in settings


def test_a_dormant_member_gets_the_plain_reminder_without_a_wakeup_journey(app, org, sandbox):
    today = shanghai_day()
    with app.app_context():
        member_settings.save({"expiry": "days", "expiry_days": 40, "reminder_days": 7})
        journey = gen_journey("points_expiring", waits=(0,))  # started when franchise reminds
        asleep = gen_customer(org.fa, org.sa, org.ga, tier_label="沉睡")
        paid_order(asleep.id, org.fa, 10_000)
        assert points_expiry.remind(today + timedelta(days=33)) == 1
        enrolment = db.session.scalars(select(JourneyEnrolment)).one()
        assert (enrolment.journey_id, enrolment.started_on) == (journey.id, today)
        assert enrolment.occurrence == f"p{(today + timedelta(days=40)).isoformat()}"
        assert db.session.get(Customer, asleep.id) is not None


def test_the_journey_api_takes_the_points_triggers(client, app, org, as_hq):
    from tests.community.factories_delivery import gen_post

    with app.app_context():
        post_id = gen_post().id
    body = {"name": "积分提醒", "trigger": "points_wakeup", "days_before": 5,
            "steps": [{"wait_days": 0, "post_id": post_id}]}  # fmt: skip
    created = client.post("/api/v1/journeys", json=body, headers=as_hq)
    assert created.status_code == 201 and created.get_json()["days_before"] == 5
    body["days_before"] = -1
    answer = client.post("/api/v1/journeys", json=body, headers=as_hq)
    assert answer.status_code == 422 and "days_before" in str(answer.get_json())


def test_hq_saves_a_points_journey_on_the_editor(client, app, org):
    from community.models.journeys import Journey
    from tests.community.factories_delivery import gen_post
    from tests.fixtures.auth import csrf_token_from

    with app.app_context():
        post_id = gen_post(title="积分提醒").id
    login(client, "hq")
    page = client.get("/admin/journeys/new").get_data(as_text=True)
    assert "积分即将过期（沉睡会员唤醒）" in page and 'id="days_before"' in page
    form = {"csrf_token": csrf_token_from(page), "name": "积分到期", "outcome_days": "7",
            "trigger": "points_expiring", "active": "1", "days_before": "400",
            "step_wait_1": "0", "step_window_1": "3", "step_post_1": str(post_id)}  # fmt: skip
    bad = client.post("/admin/journeys/new", data=form)
    assert bad.status_code == 422 and 'data-error-for="days_before"' in bad.get_data(as_text=True)
    form["days_before"] = "10"
    assert client.post("/admin/journeys/new", data=form).status_code == 303
    with app.app_context():
        journey = db.session.scalars(select(Journey)).one()
        assert (journey.trigger, journey.days_before) == ("points_expiring", 10)
