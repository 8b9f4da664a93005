"""The orders list (``/admin/orders``) names each order's customer (the nickname, else the
phone's last four digits), on the page and in the CSV, where it showed the customer's id;
the page reads the customers in one statement, not one a row."""

from __future__ import annotations

from sqlalchemy import event

from app.extensions import db
from tests.fixtures.auth import login
from tests.franchise.factories_payments import gen_customer, gen_order


def test_each_order_names_its_customer_on_the_page_and_in_the_csv(app, client, org):
    with app.app_context():
        named = gen_customer(org.fa, nickname="林小姐")
        phoned = gen_customer(org.fa, phone="13912345678")
        numbers = [gen_order(c).order_no for c in (named, phoned, named)]
        ids = named.id, phoned.id
        engine = db.engine
    login(client, "owner-a")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_rest) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = client.get("/admin/orders").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert page.count("林小姐") == 2 and "尾号 5678 的客户" in page
    assert len([s for s in statements if "FROM customers" in s]) == 1
    csv = client.get("/admin/orders?format=csv").get_data(as_text=True)
    rows = {line.split(",")[0]: line for line in csv.splitlines()[1:]}
    assert "林小姐" in rows[numbers[0]] and "尾号 5678 的客户" in rows[numbers[1]]
    assert all(f",{i}," not in rows[n] for n in numbers for i in ids)
