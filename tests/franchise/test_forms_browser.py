"""Browser: forms that lead. Reassigning a customer, the store and guide selects follow
the franchisee (and the guide the store), so the first try of a move to another
franchisee's store and guide succeeds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from franchise.models import Customer, Guide, Store
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.franchise.factories_customers import gen_customer

pytestmark = pytest.mark.browser


def _visible(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        f"{selector} option", "os => os.filter(o => !o.hidden).map(o => o.textContent.trim())"
    )


def test_reassignment_selects_filter_each_other(app, org, live_server, browser_page):
    with app.app_context():
        store_a = db.session.get(Store, org.sa)
        customer = gen_customer(store_a, nickname="待转客户")
        customer_id = customer.id
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(f"{live_server}/admin/customers/{customer_id}")
    assert page.input_value("#franchisee_id") == str(org.fa)
    assert not any("Bob" in g for g in _visible(page, "#guide_id"))
    page.select_option("#franchisee_id", str(org.fb))
    stores = _visible(page, "#store_id")
    assert "北京B店" in stores and "上海A店" not in stores
    assert [g for g in _visible(page, "#guide_id") if "(" in g] == ["Bob (北京B店)"]
    page.select_option("#store_id", str(org.sb))
    page.select_option("#guide_id", str(org.gb))
    page.fill("#reason", "客户搬到北京")
    screenshot(page, "franchise_reassign_dependent_selects")
    page.click("form.form-card button[type=submit]")
    page.wait_for_load_state()
    assert "客户已重新分配" in page.content() or "已重新分配" in page.content()
    with app.app_context():
        moved = db.session.get(Customer, customer_id)
        assert (moved.franchisee_id, moved.store_id) == (org.fb, org.sb)
        assert (
            moved.guide_id == db.session.scalars(select(Guide.id).where(Guide.id == org.gb)).one()
        )
