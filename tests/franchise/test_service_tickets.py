"""Service tickets (issue 19, 售后): every state in order, a move out of order is 422
naming ``to`` and changes nothing, a paid quote is an order the customer pays through
the existing path, a member benefit makes it free, ``ready`` notifies the customer
with a mini-program subscribe message through the outbox and the emulator (its error
codes), overdue against the service's target, intake photos, tenancy, the mini-program
contract and an attended cleaning visit that opens a ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import utcnow
from app.extensions import db
from app.outbox import drain
from app.wechat.sandbox.miniprogram import identity_for_code
from franchise.models import Customer, Order, ServiceTicket
from tests.fixtures.auth import api_token, bearer
from tests.fixtures.media import tiny_png
from tests.franchise.factories_commerce import make_paid
from tests.franchise.factories_jewellery import maintenance_visit

TEMPLATE = "SiyuSandboxServiceReadyTpl01"


def _intake(client, headers, customer_id, kind="polishing", **extra):
    body = {"customer_id": customer_id, "kind": kind, "condition_notes": "表面划痕，扣环松动"}
    answer = client.post("/api/v1/service-tickets", json={**body, **extra}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _move(client, headers, ticket_id, to, **extra):
    return client.post(
        f"/api/v1/service-tickets/{ticket_id}/move", json={"to": to, **extra}, headers=headers
    )


def _with_openid(app, customer_id) -> str:
    openid = identity_for_code("code-ticket-owner")["openid"]
    with app.app_context():
        db.session.get(Customer, customer_id).openid = openid
        db.session.commit()
    return openid


def test_a_paid_repair_goes_through_every_state_and_notifies(client, app, shop, guide_a):
    openid = _with_openid(app, shop.ca)
    ticket = _intake(client, guide_a, shop.ca, kind="repair", item_description="足金手镯")
    assert ticket["status"] == "received" and ticket["due_at"]
    assert _move(client, guide_a, ticket["id"], "quoted").status_code == 422  # no price
    quoted = _move(client, guide_a, ticket["id"], "quoted", quote_fen=180_00).get_json()
    assert quoted["status"] == "quoted" and quoted["order_id"]
    unpaid = _move(client, guide_a, ticket["id"], "approved")
    assert unpaid.status_code == 422 and "to" in unpaid.get_json()["errors"]
    with app.app_context():
        order = db.session.get(Order, quoted["order_id"])
        assert (order.payable_fen, order.franchisee_id) == (180_00, 1)  # paid to franchisee A
        make_paid(order)
    for to in ("approved", "in_progress", "ready"):
        answer = _move(client, guide_a, ticket["id"], to)
        assert answer.status_code == 200, answer.get_json()
    # the customer accepted the template once in the mini-program
    client.post("/_sandbox/control/mp/subscribe", json={"openid": openid, "template_id": TEMPLATE})
    with app.app_context():
        drain()
    sent = client.get("/_sandbox/control/mp/subscribe_messages").get_json()["messages"]
    assert [m["touser"] for m in sent] == [openid]
    assert sent[0]["data"]["phrase3"]["value"] == "待取件"
    done = _move(client, guide_a, ticket["id"], "picked_up").get_json()
    assert done["status"] == "picked_up" and done["notified_at"]
    steps = [e["to_status"] for e in done["events"]]
    # the notice is a note on the ready step (ready → ready), before the pickup
    assert steps == ["received", "quoted", "approved", "in_progress", "ready", "ready", "picked_up"]
    assert "notified" in done["events"][5]["note"]


def test_without_a_subscription_the_notice_gives_up_with_43101(client, app, shop, guide_a):
    _with_openid(app, shop.ca)
    ticket = _intake(client, guide_a, shop.ca, kind="polishing")
    with app.app_context():
        db.session.get(Customer, shop.ca).value_tier = "high"  # polishing is free for them
        db.session.commit()
    free = _move(client, guide_a, ticket["id"], "quoted").get_json()
    assert free["status"] == "approved" and free["covered_by_benefit"] and free["quote_fen"] == 0
    _move(client, guide_a, ticket["id"], "in_progress")
    _move(client, guide_a, ticket["id"], "ready")
    with app.app_context():
        drain()
    detail = client.get(f"/api/v1/service-tickets/{ticket['id']}", headers=guide_a).get_json()
    assert detail["notified_at"] is None
    assert any("43101" in e["note"] for e in detail["events"])


@pytest.mark.parametrize(
    ("data", "errcode"),
    [
        ({"thing2": {"value": "x" * 21}}, 47003),
        ({"phrase3": {"value": "ready"}}, 47003),
        ({"character_string1": {"value": "单号"}}, 47003),
    ],
)
def test_emulator_checks_values_by_keyword_type(client, app, data, errcode):
    from app.wechat.clients import miniprogram_client

    openid = identity_for_code("code-emu")["openid"]
    client.post("/_sandbox/control/mp/subscribe", json={"openid": openid, "template_id": TEMPLATE})
    with app.app_context():
        mp = miniprogram_client()
        token = mp.access_token
    body = {"touser": openid, "template_id": TEMPLATE, "data": data}
    answer = client.post(
        f"/_sandbox/api/cgi-bin/message/subscribe/send?access_token={token}", json=body
    )
    assert answer.get_json()["errcode"] == errcode
    bad_tpl = client.post(
        f"/_sandbox/api/cgi-bin/message/subscribe/send?access_token={token}",
        json={**body, "template_id": "nope"},
    )
    assert bad_tpl.get_json()["errcode"] == 40037


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("received", "ready"),  # skipping ahead
        ("received", "requested"),  # backwards
        ("received", "received"),  # repeating
    ],
)
def test_moves_out_of_order_are_422_and_change_nothing(client, app, shop, guide_a, start, to):
    ticket = _intake(client, guide_a, shop.ca)
    answer = _move(client, guide_a, ticket["id"], to)
    assert answer.status_code == 422
    body = answer.get_json()
    assert "to" in body["errors"] and body["errors"]["allowed"] == ["quoted", "cancelled"]
    with app.app_context():
        assert db.session.get(ServiceTicket, ticket["id"]).status == start


def test_backwards_from_ready_is_422(client, app, shop, guide_a):
    ticket = _intake(client, guide_a, shop.ca, kind="cleaning")
    with app.app_context():
        db.session.get(Customer, shop.ca).value_tier = "high"
        db.session.commit()
    _move(client, guide_a, ticket["id"], "quoted")
    _move(client, guide_a, ticket["id"], "in_progress")
    _move(client, guide_a, ticket["id"], "ready")
    for to in ("in_progress", "quoted", "cancelled"):
        assert _move(client, guide_a, ticket["id"], to).status_code == 422


def test_overdue_views_for_owner_and_hq(client, app, shop, guide_a, as_owner_a, as_hq):
    late = _intake(client, guide_a, shop.ca, kind="cleaning")
    on_time = _intake(client, guide_a, shop.ca, kind="repair")
    with app.app_context():
        db.session.get(ServiceTicket, late["id"]).due_at = utcnow() - timedelta(hours=2)
        db.session.commit()
    for headers in (as_owner_a, as_hq):
        rows = client.get("/api/v1/service-tickets?overdue=1", headers=headers).get_json()
        assert [r["id"] for r in rows["items"]] == [late["id"]] and rows["items"][0]["overdue"]
    owner_b = bearer(api_token(client, "owner-b"))
    assert client.get("/api/v1/service-tickets", headers=owner_b).get_json()["items"] == []
    assert client.get(f"/api/v1/service-tickets/{late['id']}", headers=owner_b).status_code == 404
    from tests.fixtures.auth import login

    login(client, "owner-a")
    page = client.get("/admin/service-tickets?overdue=1").get_data(as_text=True)
    assert late["ticket_no"] in page and on_time["ticket_no"] not in page
    csv = client.get("/admin/service-tickets?format=csv").get_data(as_text=True)
    assert csv.count("\n") == 3  # header + two tickets


def test_mp_contract_and_tenancy(client, app, shop, as_ca):
    mine = client.post(
        "/api/v1/mp/service-tickets",
        json={"kind": "resizing", "item_description": "戒指改圈 12→14"},
        headers=as_ca,
    )
    assert mine.status_code == 201, mine.get_json()
    assert mine.get_json()["status"] == "requested"
    listing = client.get("/api/v1/mp/service-tickets", headers=as_ca).get_json()
    assert [t["kind"] for t in listing["items"]] == ["resizing"]
    with app.app_context():
        from tests.franchise.factories_commerce import customer_headers

        other = customer_headers(shop.cb)
    assert client.get("/api/v1/mp/service-tickets", headers=other).get_json()["items"] == []
    bad = client.post("/api/v1/mp/service-tickets", json={"kind": "gilding"}, headers=as_ca)
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]


def test_intake_photos_on_the_phone_form(client, app, shop):
    from tests.fixtures.auth import csrf_token_from, login

    login(client, "guide-a", path="/m/login")
    form = client.get("/m/service-tickets/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(form),
        "customer_id": str(shop.ca),
        "kind": "replating",
        "item_description": "18K白金项链",
        "condition_notes": "镀层磨损",
    }
    import io

    bad = dict(data, photos=(io.BytesIO(b"not an image"), "x.gif"))
    refused = client.post("/m/service-tickets/new", data=bad, content_type="multipart/form-data")
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.query(ServiceTicket).count() == 0
    good = dict(data, photos=[(io.BytesIO(tiny_png()), "a.png"), (io.BytesIO(tiny_png()), "b.png")])
    done = client.post("/m/service-tickets/new", data=good, content_type="multipart/form-data")
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert page.count("data-photo=") == 2 and page.count("<figcaption") == 2
    with app.app_context():
        ticket = db.session.query(ServiceTicket).one()
        assert (ticket.kind, len(ticket.photos)) == ("replating", 2)


def test_an_attended_cleaning_visit_opens_a_ticket(client, app, org, shop, guide_a):
    visit_id = maintenance_visit(app, org, shop)
    answer = client.post(
        f"/api/v1/appointments/{visit_id}/outcome",
        json={"outcome": "attended", "service_kind": "cleaning"},
        headers=guide_a,
    )
    assert answer.status_code == 201, answer.get_json()
    ticket_id = answer.get_json()["service_ticket_id"]
    ticket = client.get(f"/api/v1/service-tickets/{ticket_id}", headers=guide_a).get_json()
    assert (ticket["kind"], ticket["status"]) == ("cleaning", "received")
    again = client.post(
        f"/api/v1/appointments/{visit_id}/outcome", json={"outcome": "no_show"}, headers=guide_a
    )
    assert again.status_code == 409


def test_the_guide_records_the_visit_on_the_phone_and_lands_on_its_ticket(client, app, org, shop):
    """/m/appointments: "came in" on a maintenance visit opens its ticket; another store's
    guide cannot record it (404)."""
    from tests.fixtures.auth import csrf_token_from, login
    from tests.franchise.factories import gen_user

    with app.app_context():
        gen_user("guide-b", "guide", franchisee_id=org.fb, store_id=org.sb, guide_id=org.gb)
        db.session.get(Customer, shop.ca).nickname = ""  # shown by a readable label, not "#id"
        db.session.commit()
    visit_id = maintenance_visit(app, org, shop)
    url = f"/m/appointments/{visit_id}/outcome"
    login(client, "guide-b", path="/m/login")
    token = csrf_token_from(client.get("/m/appointments").get_data(as_text=True))
    body = {"outcome": "attended", "service_kind": "polishing", "csrf_token": token}
    assert client.post(url, data=body).status_code == 404
    client = app.test_client()
    login(client, "guide-a", path="/m/login")
    page = client.get("/m/appointments").get_data(as_text=True)
    assert url in page
    answer = client.post(url, data={**body, "csrf_token": csrf_token_from(page)})
    assert answer.status_code == 303 and "/m/service-tickets/" in answer.headers["Location"]
    with app.app_context():
        ticket = db.session.query(ServiceTicket).one()
        assert (ticket.kind, ticket.status, ticket.customer_id) == (
            "polishing",
            "received",
            shop.ca,
        )
    assert url not in client.get("/m/appointments").get_data(as_text=True)  # recorded once
    ticket_page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"#{shop.ca}<" not in ticket_page
    assert any(w in ticket_page for w in ("微信客户", "WeChat customer", "Customer ending", "尾号"))


def test_the_intake_form_offers_the_stores_customers_not_only_mine(client, app, org, shop):
    """A store customer without a guide (a walk-in, a departed guide's) can bring a piece
    in; another store's customer is not offered."""
    from tests.fixtures.auth import login
    from tests.franchise.factories_commerce import gen_customer

    with app.app_context():
        walk_in = gen_customer(org.fa, org.sa, None, nickname="到店散客").id
        elsewhere = gen_customer(org.fb, org.sb, org.gb, nickname="北京顾客").id
    login(client, "guide-a", path="/m/login")
    form = client.get("/m/service-tickets/new").get_data(as_text=True)
    assert f'value="{walk_in}"' in form and "到店散客" in form
    assert f'value="{elsewhere}"' not in form
