"""Service-ticket and trade-in history on the guide's phone (issue 19): each step in
words, who took it by name, and the services' English notes ("from appointment 12",
"10520 mg × 999‰ at the day's price") in the viewer's language; never ids or codes."""

from __future__ import annotations

from app.auth.models import User
from app.extensions import db
from franchise.models import ServiceTicket
from franchise.services.case_history import step_note
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.franchise.factories_jewellery import enter_price, maintenance_visit


def _named_guide(app) -> None:
    with app.app_context():
        db.session.scalars(
            db.select(User).filter_by(username="guide-a")
        ).one().display_name = "王导购"
        db.session.commit()


def test_a_ticket_opened_from_a_visit_reads_as_words_with_names(client, app, org, shop):
    _named_guide(app)
    visit = maintenance_visit(app, org, shop)
    login(client, "guide-a", path="/m/login")
    token = csrf_token_from(client.get("/m/appointments").get_data(as_text=True))
    body = {"outcome": "attended", "service_kind": "cleaning", "csrf_token": token}
    answer = client.post(f"/m/appointments/{visit}/outcome", data=body)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.query(ServiceTicket).count() == 1
    assert "王导购" in page and "到店预约" in page
    assert "from appointment" not in page


def test_a_trade_in_valued_reads_in_grams_with_the_guides_name(client, app, shop, as_hq):
    _named_guide(app)
    enter_price(client, as_hq, "gold", 620_00, 560_00)
    guide = bearer(api_token(client, "guide-a"))
    body = {"customer_id": shop.ca, "metal": "gold", "weight_mg": 10_520, "purity_permille": 999}
    made = client.post("/api/v1/trade-ins", json=body, headers=guide)
    assert made.status_code == 201, made.get_json()
    login(client, "guide-a", path="/m/login")
    page = client.get(f"/m/trade-ins/{made.get_json()['id']}").get_data(as_text=True)
    assert "王导购" in page and "10.520 克 × 999‰，按当日回收价" in page
    assert "mg ×" not in page


def test_a_typed_note_is_shown_as_typed(app):
    with app.test_request_context():
        assert step_note("表面有划痕") == "表面有划痕"
        assert step_note("") == ""
        assert step_note("order SO123") == "订单 SO123"


def test_owner_and_hq_read_a_cases_history_on_the_admin_site(client, app, org, shop, as_hq):
    """/admin/service-tickets/<id> and /admin/trade-ins/<id>: the facts and every step in
    words with who took it by name, linked from the lists; another franchise's owner gets
    404."""
    _named_guide(app)
    visit = maintenance_visit(app, org, shop)
    login(client, "guide-a", path="/m/login")
    token = csrf_token_from(client.get("/m/appointments").get_data(as_text=True))
    body = {"outcome": "attended", "service_kind": "cleaning", "csrf_token": token}
    client.post(f"/m/appointments/{visit}/outcome", data=body)
    enter_price(client, as_hq, "gold", 620_00, 560_00)
    guide = bearer(api_token(client, "guide-a"))
    body = {"customer_id": shop.ca, "metal": "gold", "weight_mg": 10_520, "purity_permille": 999}
    made = client.post("/api/v1/trade-ins", json=body, headers=guide).get_json()
    with app.app_context():
        ticket = db.session.scalars(db.select(ServiceTicket)).one()
        ticket_id, ticket_no = ticket.id, ticket.ticket_no
    client.get("/admin/logout")
    login(client, "owner-a")
    listed = client.get("/admin/service-tickets").get_data(as_text=True)
    assert f'href="/admin/service-tickets/{ticket_id}"' in listed
    page = client.get(f"/admin/service-tickets/{ticket_id}").get_data(as_text=True)
    assert ticket_no in page and "王导购" in page and "到店预约" in page
    assert "from appointment" not in page
    assert f'href="/admin/trade-ins/{made["id"]}"' in client.get("/admin/trade-ins").get_data(
        as_text=True
    )
    trade = client.get(f"/admin/trade-ins/{made['id']}").get_data(as_text=True)
    assert "10.520 克 × 999‰，按当日回收价" in trade and "王导购" in trade
    client.get("/admin/logout")
    login(client, "owner-b")
    assert client.get(f"/admin/service-tickets/{ticket_id}").status_code == 404
    assert client.get(f"/admin/trade-ins/{made['id']}").status_code == 404
