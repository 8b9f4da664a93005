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
