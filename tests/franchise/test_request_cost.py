"""Per-request cost (issue 20): request hooks that cost nothing where unused, order answers
that load each line's price breakdown with the lines (no statement per line)."""

from __future__ import annotations

import pytest

from franchise.services import alerts
from tests.fixtures.statements import statements


def test_the_refused_notify_hook_runs_on_the_notify_route_only(app):
    """Registered on the notify blueprint: no other request calls it (it was app-wide)."""
    assert alerts.alert_refused_notify not in app.after_request_funcs.get(None, [])
    assert alerts.alert_refused_notify in app.after_request_funcs["pay_notify"]


def _place(client, headers, shop, orders: int) -> None:
    """``orders`` orders of two lines each (ring and pearl), each line snapshotted."""
    items = [{"product_id": shop.ring, "quantity": 1}, {"product_id": shop.pearl, "quantity": 1}]
    for _ in range(orders):
        answer = client.post("/api/v1/mp/orders", json={"items": items}, headers=headers)
        assert answer.status_code == 201, answer.get_json()


def _read(app, client, path: str, headers) -> tuple[dict, list[str]]:
    """The answer to ``GET path`` and the statements it sent."""
    with app.app_context(), statements() as seen:
        answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json(), seen


@pytest.mark.parametrize("path", ["/api/v1/mp/orders", "/api/v1/orders"])
def test_an_order_page_costs_the_same_statements_for_one_order_or_five(
    client, app, shop, as_ca, as_hq, path
):
    """The lines and their price breakdowns load with the page: one statement each for the
    whole page (they were one per order and one per line)."""
    headers = as_ca if path.startswith("/api/v1/mp") else as_hq
    _place(client, as_ca, shop, 1)
    one, few = _read(app, client, path, headers)
    _place(client, as_ca, shop, 4)
    five, many = _read(app, client, path, headers)
    assert (one["total"], five["total"]) == (1, 5)
    assert len(many) == len(few)
    lines = [line for order in five["items"] for line in order["lines"]]
    assert len(lines) == 10
    assert {line["pricing"]["list_unit_fen"] for line in lines} == {1000_00, 300_00}
    assert all(line["pricing"]["pricing"] == "fixed" for line in lines)


@pytest.mark.parametrize("mp", [True, False])
def test_one_order_loads_its_breakdowns_in_one_statement(client, app, shop, as_ca, as_hq, mp):
    """The detail answer (customer's and staff's): the same breakdowns, one statement for
    all the lines' snapshots, whatever the number of lines."""
    _place(client, as_ca, shop, 1)
    order_id = client.get("/api/v1/mp/orders", headers=as_ca).get_json()["items"][0]["id"]
    path = f"/api/v1/mp/orders/{order_id}" if mp else f"/api/v1/orders/{order_id}"
    body, seen = _read(app, client, path, as_ca if mp else as_hq)
    assert [line["pricing"]["list_unit_fen"] for line in body["lines"]] == [1000_00, 300_00]
    assert len([s for s in seen if "FROM order_line_pricing" in s]) == 1


def test_placing_an_order_reads_the_pricing_rows_once(client, app, shop, as_ca):
    """Whether a product is sold piece by piece comes from the pricing rows the order was
    priced from (there was a second read of them before holding pieces)."""
    items = [{"product_id": shop.ring, "quantity": 1}, {"product_id": shop.pearl, "quantity": 1}]
    with app.app_context(), statements() as seen:
        answer = client.post("/api/v1/mp/orders", json={"items": items}, headers=as_ca)
    assert answer.status_code == 201, answer.get_json()
    # one SELECT reads them (since issue 20's second round joined to the products' read)
    assert len([s for s in seen if s.startswith("SELECT") and " product_pricing" in s]) == 1


def test_a_new_customer_s_login_reads_the_settings_once(client, app, org):
    """Several setting getters in one transaction share one read of the settings rows."""
    body = {"code": "code-settings-once", "latitude": 31.2001, "longitude": 121.4001}
    with app.app_context(), statements() as seen:
        answer = client.post("/api/v1/mp/session", json=body)
    assert answer.status_code == 200 and answer.get_json()["created"] is True
    reads = [s for s in seen if "FROM franchise_settings" in s and " IN " in s]
    assert len(reads) == 1, reads


def test_a_changed_setting_is_read_again_in_the_next_transaction(app, ctx):
    """The values are kept for one transaction only: after ``update_settings`` commits,
    the getters see the new value (in the same request or app context)."""
    from franchise.services import settings

    before = settings.radius_km()
    settings.update_settings({"assignment.radius_km": before + 1})
    assert settings.radius_km() == before + 1
    assert settings.all_settings()["assignment.radius_km"] == before + 1


def test_a_refund_request_answers_without_reading_the_refund_back(app, client, org, as_hq):
    """The refund just written is the answer: no SELECT of it after the commit. The
    reserving UPDATE answers the reserved total and the transaction id (and on PostgreSQL
    the payment's id): the order is selected once, by the scope check (third round)."""
    from app.db import is_postgres
    from app.extensions import db
    from franchise.models import Order
    from tests.franchise.factories_payments import gen_customer, gen_order, pay_and_succeed

    with app.app_context():
        customer = gen_customer(org.fa)
        ids = gen_order(customer, 10000).id, customer.id
    pay_and_succeed(client, *ids, app)
    with app.app_context(), statements() as seen:
        answer = client.post(
            f"/api/v1/orders/{ids[0]}/refunds", json={"amount_fen": 3000}, headers=as_hq
        )
        postgres = is_postgres(db.engine)
    assert answer.status_code == 202 and answer.get_json()["status"] == "requested"
    assert answer.get_json()["amount_fen"] == 3000 and answer.get_json()["out_refund_no"]
    assert not [s for s in seen if s.startswith("SELECT") and "\nFROM refunds" in s]
    assert len([s for s in seen if s.startswith("SELECT") and "\nFROM orders" in s]) == 1
    payment_reads = [s for s in seen if s.startswith("SELECT") and "\nFROM payments" in s]
    assert len(payment_reads) == (0 if postgres else 1)
    with app.app_context():
        assert db.session.get(Order, ids[0]).refund_reserved_fen == 3000
    too_much = client.post(
        f"/api/v1/orders/{ids[0]}/refunds", json={"amount_fen": 7001}, headers=as_hq
    )
    assert too_much.status_code == 409 and too_much.get_json()["code"] == "refund_too_large"
