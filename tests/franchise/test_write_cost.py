"""The writes' cost (issue 20): order create writes its rows in one statement on PostgreSQL
and reads nothing back; a refund request answers from its one reserving UPDATE."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.db import is_postgres
from app.errors import DomainError
from app.extensions import db
from franchise.models import Order, OrderEvent, OrderFulfilment
from franchise.services import orders as order_service
from tests.fixtures.randomness import db_examples
from tests.fixtures.statements import statements

ORDER_TABLES = ("orders", "order_lines", "order_line_pricing", "order_events", "order_fulfilments")
ADDRESS = {"recipient": "小美", "phone": "13800000000", "city": "上海", "address": "南京西路 1 号"}


def _writes(seen: list[str]) -> list[str]:
    return [s for s in seen if not s.lstrip().upper().startswith("SELECT")]


def test_an_order_s_rows_are_one_statement_and_nothing_is_read_back(client, app, shop, as_ca):
    """PostgreSQL: the order, its lines, snapshots, event and fulfilment in one INSERT
    statement, then one stock UPDATE for both lines; on either database no row just
    written is selected again."""
    items = [{"product_id": shop.ring, "quantity": 1}, {"product_id": shop.pearl, "quantity": 2}]
    with app.app_context(), statements() as seen:
        answer = client.post("/api/v1/mp/orders", json={"items": items}, headers=as_ca)
        postgres = is_postgres(db.engine)
    assert answer.status_code == 201, answer.get_json()
    writes = _writes(seen)
    inserts = [s for s in writes if "INSERT INTO" in s]
    if postgres:
        assert len(inserts) == 1
        assert all(f"INSERT INTO {table} " in inserts[0] for table in ORDER_TABLES)
        stock = [s for s in writes if "UPDATE products" in s]  # both lines' units at once
        assert len(stock) == 1 and "FOR NO KEY UPDATE" in stock[0]
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    for table in ORDER_TABLES:
        assert not [s for s in reads if f"FROM {table}" in s], table


def _answer_fields(body: dict) -> dict:
    keep = {k: v for k, v in body.items() if k not in ("events", "allowed_transitions")}
    return keep | {"replacement": None, "replaces": None}


@db_examples(12)
@given(
    ring=st.integers(min_value=0, max_value=2),
    pearl=st.integers(min_value=0, max_value=3),
    delivery=st.booleans(),
)
def test_the_answer_is_the_order_as_stored(client, app, shop, as_ca, ring, pearl, delivery):
    """Whatever the lines and the fulfilment, the order create answers exactly what a
    read of the order answers afterwards (every column written, defaults included)."""
    items = [{"product_id": p, "quantity": q} for p, q in ((shop.ring, ring), (shop.pearl, pearl))]
    items = [item for item in items if item["quantity"]] or [
        {"product_id": shop.pearl, "quantity": 1}
    ]
    body: dict = {"items": items}
    if delivery:
        body["fulfilment"] = {"mode": "delivery", "address": ADDRESS}
    placed = client.post("/api/v1/mp/orders", json=body, headers=as_ca)
    assert placed.status_code == 201, placed.get_json()
    written = placed.get_json()
    read = client.get(f"/api/v1/mp/orders/{written['id']}", headers=as_ca).get_json()
    assert _answer_fields(read) == written | {"replacement": None, "replaces": None}
    assert read["events"][0]["to_status"] == "created" and len(read["events"]) == 1
    assert written["fulfilment"] == ("delivery" if delivery else "pickup")
    with app.app_context():
        row = db.session.get(OrderFulfilment, written["id"])
        assert row is not None and row.mode == written["fulfilment"]
        assert (row.city == "上海") is delivery and len(row.pickup_code) == 6
        # the stock goes back on cancel: keep the ring available for the next example
        client.post(f"/api/v1/mp/orders/{written['id']}/cancel", json={}, headers=as_ca)


def test_an_order_refused_after_its_rows_were_written_leaves_nothing(app, shop):
    """Refused at the stock (the last step, after the one INSERT): nothing stays, and the
    next order — on SQLite given the same id again — is placed in the same session."""
    with app.app_context():
        before = db.session.query(Order).count()
        with pytest.raises(DomainError) as exc:
            order_service.create_order(shop.ca, [{"product_id": shop.ring, "quantity": 6}])
        assert exc.value.status == 422 and "items" in exc.value.errors
        assert db.session.query(Order).count() == before
        order = order_service.create_order(shop.ca, [{"product_id": shop.ring, "quantity": 1}])
        assert db.session.get(Order, order.id) is order
        assert order.lines[0].price_snapshot.list_unit_fen == 1000_00
        events = db.session.query(OrderEvent).filter_by(order_id=order.id).all()
        assert [e.to_status for e in events] == ["created"]
        assert db.session.query(Order).count() == before + 1
