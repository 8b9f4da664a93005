"""Customer journeys end to end: the API (create, 422 naming the field, report scoped),
a first purchase enrolled once, its step sent 1:1 to the customer's WeCom contact
through the guide and read back after the guide confirms, a customer without a contact
skipped with the reason, the guide seeing only their own sends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import outbox
from app.clock import shanghai_day, utcnow
from app.extensions import db
from community.models.journeys import JourneyEnrolment, JourneySend
from community.services import journey_sends, journey_triggers
from tests.community.factories_delivery import gen_post
from tests.community.factories_groups import gen_paid_order
from tests.community.factories_journeys import gen_journey, make_contact, sent_first_purchases
from tests.fixtures.auth import api_token, bearer
from tests.franchise.factories_commerce import gen_customer


def _body(**kw):
    body = {"name": "生日关怀", "trigger": "birthday", "steps": [{"wait_days": 0, "post_id": 0}]}
    body.update(kw)
    return body


def test_api_creates_a_journey_and_names_the_bad_field(client, org):
    with client.application.app_context():
        post_id = gen_post(title="生日祝福").id
    headers = bearer(api_token(client, "hq"))
    good = _body(steps=[{"wait_days": 0, "post_id": post_id}, {"wait_days": 3, "post_id": post_id}])
    created = client.post("/api/v1/journeys", json=good, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert [s["wait_days"] for s in created.get_json()["steps"]] == [0, 3]
    listed = client.get("/api/v1/journeys", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "生日关怀"
    negative = _body(steps=[{"wait_days": -1, "post_id": post_id}])
    answer = client.post("/api/v1/journeys", json=negative, headers=headers)
    assert answer.status_code == 422 and "wait_days" in str(answer.get_json())
    unknown = client.post("/api/v1/journeys", json=_body(trigger="moon"), headers=headers)
    assert unknown.status_code == 422 and "trigger" in str(unknown.get_json())
    dormant = _body(trigger="dormant", steps=[{"wait_days": 0, "post_id": post_id}])
    answer = client.post("/api/v1/journeys", json=dormant, headers=headers)
    assert answer.status_code == 422 and "dormant_days" in str(answer.get_json())
    no_post = client.post("/api/v1/journeys", json=_body(), headers=headers)
    assert no_post.status_code == 422 and "steps" in str(no_post.get_json())
    owner = bearer(api_token(client, "owner-a"))
    assert client.post("/api/v1/journeys", json=good, headers=owner).status_code == 403


@pytest.fixture
def bought(app, org, sandbox):
    """Two customers of Ann who paid their first order today; one is Ann's contact."""
    with app.app_context():
        with_contact = gen_customer(org.fa, org.sa, org.ga)
        external = make_contact(with_contact, sandbox)
        without = gen_customer(org.fa, org.sa, org.ga)
        for customer in (with_contact, without):
            order = gen_paid_order(customer)
            order.paid_at = utcnow()
        db.session.commit()
        journey = gen_journey(waits=(0,))
        return journey.id, with_contact.id, without.id, external


def test_first_purchase_is_sent_once_confirmed_and_reported(client, app, bought, sandbox):
    journey_id, with_contact, without, external = bought
    with app.app_context():
        assert journey_triggers.run()["enrolled"] == 2
        assert journey_triggers.run()["enrolled"] == 0  # again: nothing new
        assert db.session.scalar(select(func.count(JourneyEnrolment.id))) == 2
        tally = journey_sends.dispatch(shanghai_day())
        assert tally["queued"] == 1 and tally["skipped"] == 1
        skipped = db.session.scalars(
            select(JourneySend).where(JourneySend.customer_id == without)
        ).one()
        assert skipped.status == "skipped" and skipped.reason == "no_contact"
        outbox.drain()
        send = db.session.scalars(
            select(JourneySend).where(JourneySend.customer_id == with_contact)
        ).one()
        assert send.status == "pending" and send.msgid and send.sender_userid == "ann"
        task = sandbox.data["tasks"][send.msgid]
        assert task["chat_type"] == "single" and list(task["results"]) == [external]
        msgid = send.msgid
    sandbox.confirm_task(msgid)
    with app.app_context():
        assert journey_sends.read_back()["confirmed"] == 1
        assert (
            db.session.scalars(select(JourneySend.status).where(JourneySend.msgid == msgid)).one()
            == "sent"
        )
    report = client.get(
        f"/api/v1/journeys/{journey_id}/report", headers=bearer(api_token(client, "hq"))
    ).get_json()
    assert report["enrolled"] == 2 and report["confirmed"] == 1 and report["skipped"] == 1
    assert report["reasons"] == {"no_contact": 1} and report["steps"][0]["confirmed"] == 1
    assert report["orders"] == 0  # the first order came before the send
    other = client.get(
        f"/api/v1/journeys/{journey_id}/report", headers=bearer(api_token(client, "owner-b"))
    )
    assert other.status_code == 200 and other.get_json()["enrolled"] == 0  # not theirs


def test_customer_dates_are_scoped(client, app, org):
    with app.app_context():
        mine = gen_customer(org.fa, org.sa, org.ga).id
        theirs = gen_customer(org.fb, org.sb, org.gb).id
    guide = bearer(api_token(client, "guide-a"))
    body = {"customer_id": mine, "kind": "wedding", "day": "2020-05-20"}
    assert client.post("/api/v1/customer-dates", json=body, headers=guide).status_code == 201
    body["customer_id"] = theirs
    assert client.post("/api/v1/customer-dates", json=body, headers=guide).status_code == 404
    body["kind"] = "divorce"
    answer = client.post("/api/v1/customer-dates", json=body, headers=guide)
    assert answer.status_code == 422 and "kind" in str(answer.get_json())


def test_a_wedding_anniversary_enrols_on_its_day(app, org):
    from community.models.journeys import CustomerDate
    from tests.fixtures.database import saved

    with app.app_context():
        customer = gen_customer(org.fa, org.sa, org.ga)
        today = shanghai_day()
        wedding = today - timedelta(days=7 * 365)  # some years ago, near this day
        saved(CustomerDate(customer_id=customer.id, kind="wedding", day=wedding))
        today = journey_triggers.anniversary_in(
            wedding, today - timedelta(days=3), today + timedelta(days=3), after_origin=True
        )
        assert today is not None
        gen_journey("customer_date", waits=(0, 7), date_kind="wedding")
        assert journey_triggers.run(today)["enrolled"] == 1
        sends = db.session.scalars(select(JourneySend).order_by(JourneySend.due_on)).all()
        assert [s.due_on for s in sends] == [today, today + timedelta(days=7)]


def test_the_guide_sees_only_their_own_journey_sends(client, app, org, sandbox):
    from tests.fixtures.auth import login

    with app.app_context():
        sent_first_purchases(org, sandbox, {"安的顾客": org.ga, "艾米的顾客": org.ga2})
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/tasks").get_data(as_text=True)
    assert "安的顾客" in html and "艾米的顾客" not in html
    assert html.count("data-journey-send=") == 1 and 'data-status="pending"' in html
    with app.app_context():
        gen_journey(waits=(3,), name="三天回访")
        journey_triggers.run()  # Ann's customer's next step, due in 3 days
    html = client.get("/m/tasks").get_data(as_text=True)
    assert html.count("data-journey-send=") == 2 and 'data-status="waiting"' in html


def test_the_guide_checks_a_sent_step_and_another_guides_is_404(client, app, org, sandbox):
    from tests.fixtures.auth import csrf_token_from, login

    with app.app_context():
        sent_first_purchases(org, sandbox, {"何女士": org.ga})
        send = db.session.scalars(select(JourneySend)).one()
        send_id, msgid = send.id, send.msgid
    login(client, "guide-a2", path="/m/login")
    token = csrf_token_from(client.get("/m/tasks").get_data(as_text=True))
    other = client.post(f"/m/journeys/sends/{send_id}/check", data={"csrf_token": token})
    assert other.status_code == 404
    client.get("/logout")
    login(client, "guide-a", path="/m/login")
    page = client.get("/m/tasks").get_data(as_text=True)
    assert f'data-check-send="{send_id}"' in page
    sandbox.confirm_task(msgid)
    answer = client.post(
        f"/m/journeys/sends/{send_id}/check", data={"csrf_token": csrf_token_from(page)}
    )
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.get(JourneySend, send_id).status == "sent"


def test_put_replaces_the_steps_and_an_unknown_journey_is_404(client, app, org):
    with client.application.app_context():
        journey = gen_journey(waits=(0, 3))
        journey_id, post_id = journey.id, journey.steps[0].post_id
    headers = bearer(api_token(client, "hq"))
    body = _body(trigger="first_purchase", steps=[{"wait_days": 2, "post_id": post_id}])
    answer = client.put(f"/api/v1/journeys/{journey_id}", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert [s["wait_days"] for s in answer.get_json()["steps"]] == [2]
    got = client.get(f"/api/v1/journeys/{journey_id}", headers=headers).get_json()
    assert got["trigger"] == "first_purchase" and len(got["steps"]) == 1
    assert client.get("/api/v1/journeys/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/journeys/999999/report", headers=headers).status_code == 404
