"""Mini-program API: session (new, returning, bad code, share code), profile, phone,
nearest stores, appointment slots and bookings (capacity, cancel, own orders only)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.wechat.sandbox.miniprogram import identity_for_code
from franchise.models import AssignmentHistory, Customer, Franchisee, Order
from franchise.services.appointments import slot_starts
from franchise.services.customers import guide_share_code
from tests.fixtures.auth import bearer

SH = {"latitude": 31.2001, "longitude": 121.4001, "city": "上海"}


def login(client, code, **extra):
    return client.post("/api/v1/mp/session", json={"code": code, **extra})


@pytest.fixture
def customer_token(client, org):
    res = login(client, "code-alice", **SH)
    assert res.status_code == 200, res.get_json()
    return bearer(res.get_json()["token"])


def test_session_creates_assigns_and_returns_token(client, org, app):
    res = login(client, "code-new-1", **SH)
    body = res.get_json()
    assert res.status_code == 200 and body["created"] is True
    assert body["customer"]["franchisee_id"] == org.fa and body["customer"]["store_id"] == org.sa
    with app.app_context():
        c = db.session.get(Customer, body["customer"]["id"])
        assert (
            c.openid == identity_for_code("code-new-1")["openid"]
            and c.assignment_rule == "nearest_store"
        )
    me = client.get("/api/v1/mp/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.get_json()["store_name"] == "上海A店"


def test_returning_customer_is_found_not_duplicated(client, org, app):
    first = login(client, "code-bob-1", **SH).get_json()
    # same identity from a fresh code: the sandbox derives openid from the suffix
    with app.app_context():
        c = db.session.get(Customer, first["customer"]["id"])
        c.openid = identity_for_code("code-bob-2")["openid"]
        db.session.commit()
    again = login(client, "code-bob-2").get_json()
    assert again["created"] is False and again["customer"]["id"] == first["customer"]["id"]
    with app.app_context():
        assert len(db.session.scalars(select(AssignmentHistory)).all()) == 1


@pytest.mark.parametrize("code", ["garbage", "code-"])
def test_bad_code_is_4xx_envelope(client, org, code):
    res = login(client, code)
    assert res.status_code == 401 and res.get_json()["code"] == "invalid_code"


def test_a_login_code_older_than_five_minutes_is_refused(client, org, app):
    from app.wechat.sandbox import sandbox_state

    issue = client.post("/_sandbox/control/mp/login_code", json={"user": "carol"})
    code = issue.get_json()["code"]
    sandbox_state(app).advance(301)  # code2Session: 40029 once its 5 minutes are over
    res = login(client, code)
    assert res.status_code == 401 and res.get_json()["code"] == "invalid_code"
    fresh = client.post("/_sandbox/control/mp/login_code", json={"user": "carol"})
    assert login(client, fresh.get_json()["code"]).status_code == 200


def test_used_code_is_refused(client, org):
    assert login(client, "code-once").status_code == 200
    assert login(client, "code-once").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": 5},
        {"code": "code-x", "latitude": "31"},
        {"code": "code-x", "latitude": 91, "longitude": 1},
        {"code": "code-x", "extra": 1},
        {"code": "code-x", "latitude": 31.0},
    ],
)
def test_session_bad_body_is_422(client, org, body):
    res = client.post("/api/v1/mp/session", json=body)
    assert res.status_code == 422 and "errors" in res.get_json()


def test_session_with_share_code_goes_to_the_guide(client, org, app):
    with app.app_context():
        from franchise.models import Guide

        code = guide_share_code(db.session.get(Guide, org.gb)).code
    body = login(client, "code-shared", share_code=code, **SH).get_json()
    assert body["customer"] == {
        "id": body["customer"]["id"],
        "franchisee_id": org.fb,
        "store_id": org.sb,
        "guide_id": org.gb,
    }


def test_no_active_franchisee_is_503(client, org, app):
    with app.app_context():
        for f in db.session.scalars(select(Franchisee)):
            f.status = "suspended"
        db.session.commit()
    res = login(client, "code-lonely")
    assert res.status_code == 503 and res.get_json()["code"] == "no_franchisee"


def test_profile_update_is_strict(client, customer_token):
    ok = client.patch(
        "/api/v1/mp/me",
        json={"nickname": "Alice", "birthday": "1990-05-01"},
        headers=customer_token,
    )
    assert ok.status_code == 200 and ok.get_json()["birthday"] == "1990-05-01"
    for body in ({"franchisee_id": 2}, {"birthday": "2990-01-01"}, {"nickname": "x" * 65}):
        assert client.patch("/api/v1/mp/me", json=body, headers=customer_token).status_code == 422


def test_me_needs_a_customer_token(client, as_hq):
    assert client.get("/api/v1/mp/me").status_code == 401
    assert client.get("/api/v1/mp/me", headers=as_hq).status_code == 403


def test_bind_phone(client, customer_token):
    res = client.post(
        "/api/v1/mp/me/phone", json={"code": "phone-13700137000"}, headers=customer_token
    )
    assert res.status_code == 200 and res.get_json()["phone"] == "13700137000"
    again = client.post(
        "/api/v1/mp/me/phone", json={"code": "phone-13700137000"}, headers=customer_token
    )
    assert again.status_code == 422


def test_nearest_stores_with_distance(client, org):
    res = client.get("/api/v1/mp/stores?latitude=31.2&longitude=121.4&limit=5")
    stores = res.get_json()
    assert res.status_code == 200 and [s["id"] for s in stores] == [org.sa, org.sb]
    assert stores[0]["distance_km"] == 0 and stores[1]["distance_km"] > 1000
    assert client.get("/api/v1/mp/stores?latitude=100&longitude=1").status_code == 422


def _tomorrow() -> date:
    return date.today() + timedelta(days=2)


def test_slots_and_capacity(client, customer_token, org, app):
    day = _tomorrow()
    slots = client.get(
        f"/api/v1/mp/stores/{org.sa}/slots?date={day}", headers=customer_token
    ).get_json()
    assert len(slots) == 11 and slots[0]["remaining"] == 2
    start = slot_starts(day)[0].isoformat()
    body = {"store_id": org.sa, "kind": "try_on", "slot_start": start}
    assert (
        client.post("/api/v1/mp/appointments", json=body, headers=customer_token).status_code == 201
    )
    assert (
        client.post("/api/v1/mp/appointments", json=body, headers=customer_token).status_code == 409
    )
    other = bearer(login(client, "code-carol", **SH).get_json()["token"])
    assert client.post("/api/v1/mp/appointments", json=body, headers=other).status_code == 201
    third = bearer(login(client, "code-dave", **SH).get_json()["token"])
    full = client.post("/api/v1/mp/appointments", json=body, headers=third)
    assert full.status_code == 409 and full.get_json()["code"] == "slot_full"
    slots = client.get(f"/api/v1/mp/stores/{org.sa}/slots?date={day}", headers=third).get_json()
    assert slots[0]["remaining"] == 0 and slots[0]["available"] is False
    mine = client.get("/api/v1/mp/appointments", headers=other).get_json()
    cancel = client.post(f"/api/v1/mp/appointments/{mine[0]['id']}/cancel", headers=other)
    assert cancel.status_code == 200 and cancel.get_json()["status"] == "cancelled"
    assert client.post("/api/v1/mp/appointments", json=body, headers=third).status_code == 201
    # someone else's appointment is 404
    assert (
        client.post(f"/api/v1/mp/appointments/{mine[0]['id']}/cancel", headers=third).status_code
        == 404
    )


@pytest.mark.parametrize(
    "change",
    [
        {"slot_start": "2020-01-01T02:00:00+00:00"},
        {"slot_start": "OFFSET"},
        {"kind": "inspection"},
        {"kind": "party"},
        {"store_id": "1"},
        {"order_id": 999999},
    ],
)
def test_booking_validation(client, customer_token, org, change):
    start = slot_starts(_tomorrow())[1]
    body = {"store_id": org.sa, "kind": "maintenance", "slot_start": start.isoformat(), **change}
    if change.get("slot_start") == "OFFSET":
        body["slot_start"] = (start.replace(minute=30)).isoformat()
    assert (
        client.post("/api/v1/mp/appointments", json=body, headers=customer_token).status_code == 422
    )


def test_inspection_of_own_order(client, customer_token, org, app):
    me = client.get("/api/v1/mp/me", headers=customer_token).get_json()
    with app.app_context():
        order = Order(
            order_no="T1",
            customer_id=me["id"],
            franchisee_id=org.fa,
            total_fen=100,
            payable_fen=100,
        )
        db.session.add(order)
        db.session.commit()
        order_id = order.id
    start = slot_starts(_tomorrow())[2].isoformat()
    body = {"store_id": org.sa, "kind": "inspection", "slot_start": start, "order_id": order_id}
    res = client.post("/api/v1/mp/appointments", json=body, headers=customer_token)
    assert res.status_code == 201 and res.get_json()["order_id"] == order_id
    stranger = bearer(login(client, "code-eve", **SH).get_json()["token"])
    body["slot_start"] = slot_starts(_tomorrow())[3].isoformat()
    assert client.post("/api/v1/mp/appointments", json=body, headers=stranger).status_code == 422


def test_concurrent_bookings_never_exceed_capacity(client, org, app):
    from concurrent.futures import ThreadPoolExecutor

    tokens = [bearer(login(client, f"code-rush-{n}", **SH).get_json()["token"]) for n in range(8)]
    start = slot_starts(_tomorrow())[4].isoformat()
    body = {"store_id": org.sa, "kind": "try_on", "slot_start": start}

    def book(headers):
        return (
            app.test_client()
            .post("/api/v1/mp/appointments", json=body, headers=headers)
            .status_code
        )

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(book, tokens))
    assert codes.count(201) == 2 and all(c in (201, 409, 503) for c in codes), codes
    with app.app_context():
        from franchise.models import Appointment

        assert len(db.session.scalars(select(Appointment)).all()) == 2
