"""Member events end to end: HQ creates an event (422 naming the field), the members of
the levels invited get an invitation (a store event: that store's franchisee's members),
a member lists and answers theirs (another customer's is 404; the last place taken by
several at once goes once, the others 409), the guide sees them on the customer page,
staff list them with filters, pages and CSV and mark who came."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from franchise.models import EventInvitation, Member, MemberEvent
from franchise.services import members
from tests.fixtures.auth import login
from tests.fixtures.concurrency import storm
from tests.franchise.factories_members import event_members as _members
from tests.franchise.factories_members import post_event as _event
from tests.franchise.factories_payments import customer_headers, gen_customer

RACERS = 6


def test_invitations_go_to_the_levels_and_places_are_kept(client, app, org, as_hq, as_owner_a):
    with app.app_context():
        gold, platinum, regular, gold_b = _members(org, ["gold", "platinum", "regular"], ["gold"])
    for bad, field in (({"capacity": 0}, "capacity"), ({"levels": ["tin"]}, "levels"),
                       ({"levels": []}, "levels"), ({"store_id": 999999}, "store_id"),
                       ({"starts_at": "2020-01-01T10:00:00"}, "starts_at")):  # fmt: skip
        answer = _event(client, as_hq, **bad)
        assert answer.status_code == 422 and field in str(answer.get_json()), (bad, answer.json)
    assert _event(client, as_owner_a).status_code == 403
    online = _event(client, as_hq).get_json()
    assert online["invited"] == 3 and online["place"] == "线上"  # gold, platinum, gold_b
    in_store = _event(client, as_hq, store_id=org.sa, name="上海A店鉴赏").get_json()
    assert in_store["invited"] == 2 and in_store["place"] == "上海A店"  # A's members only

    with app.app_context():
        mine, theirs = customer_headers(gold), customer_headers(gold_b)
        nobody = customer_headers(regular)
    listed = client.get("/api/v1/mp/invitations", headers=mine).get_json()
    assert listed["total"] == 2 and {i["event"] for i in listed["items"]} == {
        "金卡品鉴会",
        "上海A店鉴赏",
    }
    assert client.get("/api/v1/mp/invitations", headers=nobody).get_json()["total"] == 0
    mine_online = next(i for i in listed["items"] if i["event_id"] == online["id"])
    url = f"/api/v1/mp/invitations/{mine_online['id']}"
    assert client.post(url + "/accept", headers=theirs).status_code == 404  # not theirs
    assert client.post(url + "/maybe", headers=mine).status_code == 404
    accepted = client.post(url + "/accept", headers=mine)
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert client.post(url + "/accept", headers=mine).get_json()["places_left"] == 1  # once
    declined = client.post(url + "/decline", headers=mine).get_json()
    assert declined["status"] == "declined" and declined["places_left"] == 2  # given back
    assert client.post(url + "/accept", headers=mine).status_code == 200
    with app.app_context():
        platinum_headers = customer_headers(platinum)
        other = db.session.scalars(
            select(EventInvitation.id).where(
                EventInvitation.event_id == online["id"], EventInvitation.customer_id == platinum
            )
        ).one()
    assert (
        client.post(f"/api/v1/mp/invitations/{other}/accept", headers=platinum_headers).status_code
        == 200
    )
    theirs_id = client.get("/api/v1/mp/invitations", headers=theirs).get_json()["items"][0]["id"]
    full = client.post(f"/api/v1/mp/invitations/{theirs_id}/accept", headers=theirs)
    assert full.status_code == 409 and full.get_json()["code"] == "event_full"
    with app.app_context():
        event = db.session.get(MemberEvent, online["id"])
        assert (event.accepted, event.capacity) == (2, 2)

    # the guide sees their customer's invitations with the answer in words
    login(client, "guide-a", path="/m/login")
    page = client.get(f"/m/customers/{gold}").get_data(as_text=True)
    assert 'id="member-invitations"' in page and "金卡品鉴会" in page and "已接受" in page

    # staff: the owner sees A's customers' invitations only; filters; attendance; CSV
    owner_list = client.get("/api/v1/event-invitations", headers=as_owner_a).get_json()
    assert owner_list["total"] == 4  # two events × A's gold and platinum members
    accepted_only = client.get(
        f"/api/v1/event-invitations?event_id={online['id']}&status=accepted", headers=as_hq
    ).get_json()
    assert accepted_only["total"] == 2
    came = client.put(f"/api/v1/event-invitations/{mine_online['id']}/attended",
                      json={"attended": True}, headers=as_owner_a)  # fmt: skip
    assert came.status_code == 200 and came.get_json()["attended"] is True
    with app.app_context():
        b_invitation = db.session.scalars(
            select(EventInvitation.id).where(EventInvitation.customer_id == gold_b)
        ).one()
    assert client.put(f"/api/v1/event-invitations/{b_invitation}/attended",
                      json={"attended": True}, headers=as_owner_a).status_code == 404  # fmt: skip
    not_accepted = client.put(f"/api/v1/event-invitations/{b_invitation}/attended",
                              json={"attended": True}, headers=as_hq)  # fmt: skip
    assert not_accepted.status_code == 409

    login(client, "hq")
    admin = client.get(f"/admin/members/invitations?event_id={online['id']}&attended=1")
    html = admin.get_data(as_text=True)
    assert admin.status_code == 200 and html.count("<tr") == 2 and "已接受" in html
    assert 'id="event-figures"' in html
    csv = client.get(f"/admin/members/invitations?event_id={online['id']}&format=csv")
    lines = csv.get_data(as_text=True).strip().splitlines()
    assert (
        len(lines) == 4
        and "金卡品鉴会" in lines[1]
        and "data-attend" not in csv.get_data(as_text=True)
    )
    events_page = client.get("/admin/members/events").get_data(as_text=True)
    assert "上海A店鉴赏" in events_page and 'id="event-form"' in events_page


def test_racing_members_take_the_last_place_once(client, app, org, as_hq):
    with app.app_context():
        ids = _members(org, ["gold"] * RACERS, [])
    event = _event(client, as_hq, capacity=1).get_json()
    with app.app_context():
        rows = db.session.execute(
            select(EventInvitation.id, EventInvitation.customer_id).where(
                EventInvitation.event_id == event["id"]
            )
        ).all()
        calls = [(i, customer_headers(c)) for i, c in rows if c in ids]

    def accept(one):
        def run(own):
            return own.post(f"/api/v1/mp/invitations/{one[0]}/accept", headers=one[1]).status_code

        return run

    codes = sorted(storm(app, [accept(c) for c in calls]))
    assert codes == [200] + [409] * (RACERS - 1), codes
    with app.app_context():
        assert db.session.get(MemberEvent, event["id"]).accepted == 1
        taken = select(EventInvitation).where(EventInvitation.status == "accepted")
        winner = db.session.scalars(taken).one()
        db.session.get(MemberEvent, event["id"]).starts_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        headers = customer_headers(winner.customer_id)
        assert db.session.scalar(select(Member.id).limit(1)) is not None
    late = client.post(f"/api/v1/mp/invitations/{winner.id}/decline", headers=headers)
    assert late.status_code == 409 and late.get_json()["code"] == "event_started"


def test_a_member_who_reaches_the_level_later_is_invited(client, app, org, as_hq):
    from tests.franchise.factories_members import paid_order

    event = _event(client, as_hq, levels=["gold"], capacity=5).get_json()
    assert event["invited"] == 0
    with app.app_context():
        customer = gen_customer(org.fa, store_id=org.sa, guide_id=org.ga, nickname="升级顾客")
        members.ensure(customer.id)
        db.session.commit()
        headers = customer_headers(customer.id)
        assert client.get("/api/v1/mp/invitations", headers=headers).get_json()["total"] == 0
        paid_order(customer.id, org.fa, 2_000_000)  # 20,000 yuan: gold at once
        mine = client.get("/api/v1/mp/invitations", headers=headers).get_json()
        assert mine["total"] == 1 and mine["items"][0]["level"] == "gold"
        assert db.session.get(MemberEvent, event["id"]).invited == 1
        paid_order(customer.id, org.fa, 100)  # no new level: no second invitation
        assert client.get("/api/v1/mp/invitations", headers=headers).get_json()["total"] == 1
