"""Every page that takes yuan reads it with ``app.money.parse_yuan`` (and the bulk-issue
form loads through the API's schema): the same text gets
the same verdict on the product, coupon template and refund forms (before, one page
rounded ¥1.234 to ¥1.23, another refused it, a third took "2,000.50" and the rest did not)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from franchise.models import CouponTemplate, Product
from tests.fixtures.auth import csrf_token_from, login
from tests.fixtures.auth import post_form as _post
from tests.fixtures.database import row_count_in

PRODUCT = {"sku": "PT-9", "name": "铂金对戒", "stock": "4", "is_active": "y"}
TEMPLATE = {"name": "周年庆券", "kind": "campaign", "threshold_yuan": "0", "valid_days": "15"}


def test_three_decimals_are_refused_with_the_parsers_message(client, app, org):
    login(client, "hq")
    res = _post(client, "/admin/products/new", {**PRODUCT, "price_yuan": "6600.505"})
    assert res.status_code == 422 and "请输入以元为单位的金额，如 12.50。" in res.get_data(True)
    res = _post(client, "/admin/coupons/templates/new", {**TEMPLATE, "amount_off_yuan": "88.505"})
    assert res.status_code == 422 and "请输入以元为单位的金额，如 12.50。" in res.get_data(True)
    assert row_count_in(app, Product) == 0 and row_count_in(app, CouponTemplate) == 0


def test_grouped_yuan_and_the_yen_sign_are_read_exactly(client, app, org):
    login(client, "hq")
    res = _post(client, "/admin/products/new", {**PRODUCT, "price_yuan": "¥26,800.50"})
    assert res.status_code == 302
    res = _post(client, "/admin/coupons/templates/new", {**TEMPLATE, "amount_off_yuan": "1,000"})
    assert res.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Product.price_fen)).one() == 26800_50
        assert db.session.scalars(select(CouponTemplate.amount_off_fen)).one() == 1000_00


def test_bulk_issue_form_loads_through_the_apis_schema(client, app, org):
    from tests.franchise.factories_commerce import gen_template

    with app.app_context():
        template_id = gen_template({org.east: 5}, name="邀请券").id
    login(client, "hq")
    token = csrf_token_from(client.get("/admin/coupons").get_data(as_text=True))
    url = f"/admin/coupons/templates/{template_id}/issue"
    res = client.post(url, data={"csrf_token": token, "limit": "abc"}, follow_redirects=True)
    assert res.status_code == 200 and "不是有效的整数。" in res.get_data(as_text=True)
    res = client.post(url, data={"csrf_token": token, "limit": "20000"}, follow_redirects=True)
    assert "必须在 1 到 10000 之间。" in res.get_data(as_text=True)  # the API's bound
