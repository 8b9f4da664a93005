"""HQ edits and cancels a member event after creating it: fewer places than accepted is
422 naming the places, adding levels invites the newly eligible members, the owner is
403; cancelling cancels every invitation (the mini-program shows 已取消), answering it
afterwards is 409, and each accepted member gets the "event changes" subscribe message
through the outbox and the emulator (once, however often the outbox drains). The
mini-program asks its subscribe template ids from the API."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.outbox import drain
from app.wechat.sandbox.miniprogram import identity_for_code
from franchise.models import Customer, EventInvitation
from franchise.services import member_events, members
from tests.fixtures.auth import csrf_token_from, login
from tests.franchise.factories_members import event_members as _members
from tests.franchise.factories_members import post_event as _event
from tests.franchise.factories_payments import customer_headers, gen_customer

EVENT_TEMPLATE = "SiyuSandboxEventChangedTpl01"


def _invitation_of(app, event_id: int, customer_id: int) -> int:
    with app.app_context():
        return db.session.scalars(
            select(EventInvitation.id).where(
                EventInvitation.event_id == event_id, EventInvitation.customer_id == customer_id
            )
        ).one()


def _event_messages(client, app) -> list[dict]:
    """Drain the outbox (twice: a second drain sends nothing more) and return the
    "event changes" subscribe messages the emulator received."""
    with app.app_context():
        drain()
        drain()
    sent = client.get("/_sandbox/control/mp/subscribe_messages").get_json()["messages"]
    return [m for m in sent if m["template_id"] == EVENT_TEMPLATE]


def _accept(client, app, event_id: int, customer_id: int):
    with app.app_context():
        headers = customer_headers(customer_id)
    invitation = _invitation_of(app, event_id, customer_id)
    url = f"/api/v1/mp/invitations/{invitation}/accept"
    return client.post(url, headers=headers), headers


def test_hq_edits_an_event_and_new_levels_are_invited(client, app, org, as_hq, as_owner_a):
    with app.app_context():
        gold, platinum, silver, silver_b = _members(org, ["gold", "platinum", "silver"], ["silver"])
    event = _event(client, as_hq, capacity=3).get_json()
    url = f"/api/v1/member-events/{event['id']}"
    assert event["invited"] == 2 and event["status_label"] == "未开始"
    assert _accept(client, app, event["id"], gold)[0].status_code == 200
    assert _accept(client, app, event["id"], platinum)[0].status_code == 200

    too_few = client.patch(url, json={"capacity": 1}, headers=as_hq)
    assert too_few.status_code == 422 and "名额" in too_few.get_json()["errors"]["capacity"][0]
    in_english = client.patch(url + "?lang=en", json={"capacity": 1}, headers=as_hq)
    assert "places" in in_english.get_json()["errors"]["capacity"][0]
    for bad, field in (({"capacity": "x"}, "capacity"), ({"levels": ["tin"]}, "levels"),
                       ({"store_id": 999999}, "store_id"), ({"name": ""}, "name"),
                       ({"starts_at": "2020-01-01T10:00:00"}, "starts_at")):  # fmt: skip
        answer = client.patch(url, json=bad, headers=as_hq)
        assert answer.status_code == 422 and field in str(answer.get_json()), (bad, answer.json)
    assert client.patch(url, json={"name": "x"}, headers=as_owner_a).status_code == 403
    assert client.patch("/api/v1/member-events/999999", json={}, headers=as_hq).status_code == 404

    edited = client.patch(
        url,
        json={"name": "银卡以上品鉴会", "capacity": 2, "levels": ["silver", "gold", "platinum"]},
        headers=as_hq,
    )
    body = edited.get_json()
    assert edited.status_code == 200, body
    assert (body["name"], body["capacity"], body["accepted"], body["invited"]) == (
        "银卡以上品鉴会", 2, 2, 4,
    )  # fmt: skip
    with app.app_context():
        silver_headers = customer_headers(silver)
    mine = client.get("/api/v1/mp/invitations", headers=silver_headers).get_json()
    assert [i["event"] for i in mine["items"]] == ["银卡以上品鉴会"]
    full = client.post(f"/api/v1/mp/invitations/{mine['items'][0]['id']}/accept",
                       headers=silver_headers)  # fmt: skip
    assert full.status_code == 409 and full.get_json()["code"] == "event_full"
    # a store event narrows to that franchisee's members, invited already stay
    moved = client.patch(url, json={"store_id": org.sa}, headers=as_hq).get_json()
    assert moved["place"] == "上海A店" and moved["invited"] == 4
    assert _invitation_of(app, event["id"], silver_b)  # invited before the move, kept


def test_cancelling_tells_the_accepted_and_closes_answers(client, app, org, as_hq, as_owner_a):
    with app.app_context():
        gold, platinum = _members(org, ["gold", "platinum"], [])
        openids = {}
        for n, cid in enumerate((gold, platinum)):
            openids[cid] = identity_for_code(f"code-event-{n}")["openid"]
            db.session.get(Customer, cid).openid = openids[cid]
        db.session.commit()
    event = _event(client, as_hq).get_json()
    url = f"/api/v1/member-events/{event['id']}"
    accepted, gold_headers = _accept(client, app, event["id"], gold)
    assert accepted.status_code == 200
    # the gold member agreed to the "event changes" template; the platinum one did not answer
    templates = client.get("/api/v1/mp/subscribe-templates", headers=gold_headers).get_json()
    assert templates["templates"]["event_changes"] == EVENT_TEMPLATE
    assert set(templates["templates"]) == {"service_ready", "points_expiring", "event_changes"}
    assert EVENT_TEMPLATE in templates["tmpl_ids"]
    assert client.get("/api/v1/mp/subscribe-templates", headers=as_hq).status_code == 403
    client.post("/_sandbox/control/mp/subscribe",
                json={"openid": openids[gold], "template_id": EVENT_TEMPLATE})  # fmt: skip

    assert client.post(url + "/cancel", headers=as_owner_a).status_code == 403
    cancelled = client.post(url + "/cancel", headers=as_hq)
    body = cancelled.get_json()
    assert cancelled.status_code == 200 and body["status"] == "cancelled"
    assert body["status_label"] == "已取消" and body["cancelled_at"]
    assert client.post(url + "/cancel", headers=as_hq).status_code == 200  # once
    mine = client.get("/api/v1/mp/invitations", headers=gold_headers).get_json()["items"]
    assert (mine[0]["status"], mine[0]["status_label"]) == ("cancelled", "已取消")
    again = client.post(f"/api/v1/mp/invitations/{mine[0]['id']}/decline", headers=gold_headers)
    assert again.status_code == 409 and again.get_json()["code"] == "event_cancelled"
    late, _ = _accept(client, app, event["id"], platinum)
    assert late.status_code == 409
    edit = client.patch(url, json={"name": "改名"}, headers=as_hq)
    assert edit.status_code == 409

    told = _event_messages(client, app)
    assert [m["touser"] for m in told] == [openids[gold]]  # the accepted one, once
    assert told[0]["data"]["phrase4"]["value"] == "已取消"
    with app.app_context():
        row = db.session.get(EventInvitation, mine[0]["id"])
        assert row.notified_at is not None


def test_the_pages_are_hqs_and_a_cancelled_event_invites_nobody(client, app, org, as_hq):
    with app.app_context():
        (gold,) = _members(org, ["gold"], [])
    event = _event(client, as_hq).get_json()
    cancel = f"/admin/members/events/{event['id']}/cancel"
    login(client, "owner-a")
    assert client.get(f"/admin/members/events/{event['id']}").status_code == 403
    token = csrf_token_from(client.get("/admin/members/invitations").get_data(as_text=True))
    assert client.post(cancel, data={"csrf_token": token}).status_code == 403
    login(client, "hq")
    assert client.get("/admin/members/events/999999").status_code == 404
    page = client.get(f"/admin/members/events/{event['id']}").get_data(as_text=True)
    assert 'id="event-edit-form"' in page and "未开始" in page
    assert client.post(cancel, data={"csrf_token": csrf_token_from(page)}).status_code == 303
    page = client.get(f"/admin/members/events/{event['id']}").get_data(as_text=True)
    assert 'id="event-edit-form"' not in page and "已取消" in page
    listed = client.get("/admin/members/invitations?status=cancelled").get_data(as_text=True)
    assert "已取消" in listed and "会员" in listed
    with app.app_context():  # a member reaching an invited level later: not to this one
        later = gen_customer(org.fa, nickname="新金卡")
        member = members.ensure(later.id)
        member.level = "gold"
        db.session.commit()
        assert member_events.invite_on_upgrade(member) == 0
        assert db.session.get(EventInvitation, _invitation_of(app, event["id"], gold))


def test_a_new_time_or_place_tells_the_accepted_once(client, app, org, as_hq):
    """Moving the event's start or its place sends the accepted member the "event changes"
    message with the new time and place (时间变更 / 地点变更); a rename tells nobody; the
    same edit again sends nothing more; a member who did not accept is not told."""
    with app.app_context():
        gold, platinum = _members(org, ["gold", "platinum"], [])
        openid = identity_for_code("code-event-moved")["openid"]
        db.session.get(Customer, gold).openid = openid
        db.session.commit()
    event = _event(client, as_hq).get_json()
    url = f"/api/v1/member-events/{event['id']}"
    assert _accept(client, app, event["id"], gold)[0].status_code == 200
    client.post("/_sandbox/control/mp/subscribe",
                json={"openid": openid, "template_id": EVENT_TEMPLATE})  # fmt: skip
    client.post("/_sandbox/control/mp/subscribe",
                json={"openid": openid, "template_id": EVENT_TEMPLATE})  # fmt: skip
    later = event["starts_at"][:8] + "28T19:30:00+08:00"
    assert client.patch(url, json={"name": "新名字"}, headers=as_hq).status_code == 200
    for _ in range(2):  # the same new time twice: one message
        moved = client.patch(url, json={"starts_at": later}, headers=as_hq)
        assert moved.status_code == 200, moved.get_json()
    placed = client.patch(url, json={"store_id": org.sa}, headers=as_hq)
    assert placed.status_code == 200
    told = _event_messages(client, app)
    assert [m["touser"] for m in told] == [openid, openid]
    assert [m["data"]["phrase4"]["value"] for m in told] == ["时间变更", "地点变更"]
    assert told[0]["data"]["time2"]["value"].endswith("28日 19:30")
    assert told[1]["data"]["thing3"]["value"] == "上海A店"
