"""The product, coupon-template and reassignment pages load through the API's schemas:
a page refuses what the API refuses, with the API's message under the field, keeps what
was typed, and stores what the API would store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.clock import shanghai_day, shanghai_yesterday
from app.extensions import db
from franchise.models import CouponTemplate, Customer, Product
from tests.fixtures.auth import csrf_token_from, login, post_form
from tests.franchise.factories import settings_form
from tests.franchise.factories_commerce import gen_customer

PRODUCT_PAGE = {"sku": "PT-9", "name": "铂金对戒", "price_yuan": "10", "stock": "4"}
PRODUCT_API = {"sku": "PT-9", "name": "铂金对戒", "price_fen": 1000, "stock": 4}
ZH = {"Accept-Language": "zh"}
TEMPLATE = {"name": "周年庆券", "kind": "campaign", "amount_off_yuan": "50", "threshold_yuan": ""}


def _post(client, path: str, data: dict):
    return post_form(client, path, data, headers=ZH)


def _template_page(client, data: dict):
    """HQ posts the new coupon template page."""
    login(client, "hq")
    return _post(client, "/admin/coupons/templates/new", data)


def _field_errors(html: str) -> str:
    """The text of the page's field error lists."""
    return " ".join(part.split("</ul>")[0] for part in html.split('class="field-errors"')[1:])


@pytest.mark.parametrize(
    ("page", "api"),
    [
        ({"sku": "bad sku"}, {"sku": "bad sku"}),
        ({"stock": "-1"}, {"stock": -1}),
        ({"stock": "10000001"}, {"stock": 10_000_001}),
        ({"care_interval_days": "0"}, {"care_interval_days": 0}),
        ({"name": "x" * 65}, {"name": "x" * 65}),
    ],
)
def test_the_product_page_refuses_with_the_apis_message(client, app, org, as_hq, page, api):
    answer = client.post("/api/v1/products", json={**PRODUCT_API, **api}, headers={**as_hq, **ZH})
    assert answer.status_code == 422
    (field, messages), *_ = answer.get_json()["errors"].items()
    login(client, "hq")
    res = _post(client, "/admin/products/new", {**PRODUCT_PAGE, **page})
    html = res.get_data(as_text=True)
    assert res.status_code == 422
    assert messages[0] in _field_errors(html), (field, messages)
    value = next(iter(page.values()))
    assert f'value="{value}"' in html  # what was typed stays in the box
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_the_template_page_stores_shanghai_days_and_region_budgets(client, app, org):
    days = {"valid_from": "2026-12-01", "valid_until": "2026-12-31", "valid_days": ""}
    budgets = {f"budget_{org.east}": "30", f"budget_{org.north}": "0"}
    res = _template_page(client, {**TEMPLATE, **days, **budgets, "is_active": "y"})
    assert res.status_code == 302, _field_errors(res.get_data(as_text=True))
    with app.app_context():
        template = db.session.scalars(select(CouponTemplate)).one()
        assert template.threshold_fen == 0 and template.amount_off_fen == 50_00
        assert template.valid_from.astimezone(UTC) == datetime(2026, 11, 30, 16, tzinfo=UTC)
        until = template.valid_until.astimezone(UTC)
        assert (until.date(), until.hour, until.minute) == (datetime(2026, 12, 31).date(), 15, 59)
        assert [(b.region_id, b.budget_count) for b in template.budgets] == [(org.east, 30)]


def test_the_template_page_names_each_bad_box(client, app, org):
    bad = {"name": "", "amount_off_yuan": "0", "valid_days": "abc", f"budget_{org.east}": "-5"}
    res = _template_page(client, {**TEMPLATE, **bad})
    assert res.status_code == 422
    errors = _field_errors(res.get_data(as_text=True))
    assert "不是有效的整数。" in errors and "必须在 0 到 100000000 之间。" in errors
    assert "0.01" in errors  # the amount's lower bound, in yuan
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CouponTemplate)) == 0


def test_the_reassign_form_loads_through_the_apis_schema(client, app, org):
    with app.app_context():
        customer_id = gen_customer(org.fa, org.sa, org.ga, nickname="小美").id
    login(client, "hq")
    page = f"/admin/customers/{customer_id}"
    res = _post(client, page, {"franchisee_id": str(org.fb), "store_id": "", "reason": ""})
    assert res.status_code == 422
    assert "长度必须在 1 到 255 之间。" in _field_errors(res.get_data(as_text=True))
    res = _post(client, page, {"franchisee_id": "", "reason": "VIP 要求"})
    assert res.status_code == 422 and 'value="VIP 要求"' in res.get_data(as_text=True)
    res = _post(
        client,
        page,
        {"franchisee_id": str(org.fb), "store_id": str(org.sb), "guide_id": "", "reason": "搬家"},
    )
    assert res.status_code == 302
    with app.app_context():
        moved = db.session.get(Customer, customer_id)
        assert (moved.franchisee_id, moved.store_id) == (org.fb, org.sb)


def test_the_reconciliation_pages_read_the_day_through_the_apis_schemas(client, org):
    login(client, "hq")
    token = csrf_token_from(client.get("/admin/reconciliation").get_data(as_text=True))
    res = client.post(
        "/admin/reconciliation/run",
        data={"csrf_token": token, "date": "2026-13-40"},
        headers=ZH,
        follow_redirects=True,
    )
    assert "请选择日期（YYYY-MM-DD）。" in res.get_data(as_text=True)
    yesterday = shanghai_yesterday().isoformat()
    page = client.get(f"/admin/money/reconciliation?franchisee_id={org.fa}&date=2026-13-40")
    assert page.status_code == 200 and yesterday in page.get_data(as_text=True)
    page = client.get(f"/admin/settlement?franchisee_id={org.fa}&date=2026-13-40")
    assert f'value="{shanghai_day().isoformat()}"' in page.get_data(as_text=True)  # today
    page = client.get(f"/admin/settlement?franchisee_id={org.fa}&date={yesterday}")
    assert f'value="{yesterday}"' in page.get_data(as_text=True)


def test_the_settings_page_names_each_bad_box_and_saves_nothing(client, app, org):
    from franchise.services import settings

    login(client, "hq")
    data = settings_form()
    bad = {"assignment__radius_km": "far", "assignment__lock_days": "7.5"}
    res = _post(client, "/admin/assignment-settings", {**data, **bad})
    errors = _field_errors(res.get_data(as_text=True))
    assert res.status_code == 422 and "不是有效的数字。" in errors and "不是有效的整数。" in errors
    with app.app_context():
        assert settings.radius_km() == 10.0 and settings.lock_days() == 30
