"""Per-request cost of order create (issue 20): its one write statement keeps psycopg's
parse, the level discount reads neither the member settings (a snapshot) nor the
member's level when HQ named no discount category, and the answer's dump is compiled."""

from __future__ import annotations

import re

from flask import jsonify
from psycopg import _queries

from app.db import widen_parse_cache
from franchise.api.mp_orders import _dump_order
from franchise.api.orders import OrderSchema
from franchise.services import coupons, member_settings
from franchise.services.order_writes import placed_sql
from franchise.services.orders import create_order
from tests.fixtures.statements import statements
from tests.franchise.factories_commerce import gen_template
from tests.livestream.factories import gen_campaign


def test_the_order_statement_keeps_psycopgs_parse():
    """Up to five lines, the statement is within both of psycopg's cache limits (it has
    ~80 parameters for one line: above psycopg's own 50, it was split on every order)."""
    widen_parse_cache()
    for lines in range(1, 6):
        sql = placed_sql(lines)
        names = set(re.findall(r"%\((\w+)\)s", sql))
        assert len(names) <= _queries.MAX_CACHED_STATEMENT_PARAMS, (lines, len(names))
        assert len(sql) <= _queries.MAX_CACHED_STATEMENT_LENGTH, (lines, len(sql))


def _place(app, client, headers, shop) -> list[str]:
    items = [{"product_id": shop.ring, "quantity": 1}]
    with app.app_context(), statements() as seen:
        answer = client.post("/api/v1/mp/orders", json={"items": items}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return seen


def test_no_discount_category_no_settings_or_level_read(app, client, shop, as_ca):
    _place(app, client, as_ca, shop)  # builds this process's snapshot of the settings
    seen = _place(app, client, as_ca, shop)
    assert not [s for s in seen if "franchise_settings" in s or "FROM members" in s], seen


def test_a_saved_category_is_seen_by_the_next_order(app, client, shop, as_ca):
    """The snapshot follows HQ's commit: the level is read again, the settings are not."""
    _place(app, client, as_ca, shop)
    with app.app_context():
        member_settings.save({"discount_categories": ["钻石"]})
    seen = _place(app, client, as_ca, shop)
    assert len([s for s in seen if "FROM members" in s]) == 1
    with app.app_context():
        assert member_settings.current()["discount_categories"] == ["钻石"]
        member_settings.save({"discount_categories": []})


def test_the_answer_is_order_schemas_dump(app, shop, org):
    """Order create answers with ``OrderSchema``'s dump compiled once
    (``app.fast_page.compile_object_dump``): for the order as written (several lines,
    their price snapshots, a coupon, a campaign) it is the schema's own dump, and the
    body the route sends is what ``jsonify`` of that dump gives."""
    with app.app_context():
        template = gen_template({org.east: 5}, amount_off_fen=50_00, threshold_fen=500_00)
        code = coupons.issue_coupon(template.id, shop.ca).code
        campaign_id = gen_campaign("hq", [org.sa]).id
    items = [{"product_id": shop.ring, "quantity": 1}, {"product_id": shop.pearl, "quantity": 2}]
    with app.test_request_context():
        plain = create_order(shop.ca, items[1:])
        full = create_order(shop.ca, items, coupon_code=code, campaign_id=campaign_id)
        for order in (plain, full):
            expected = OrderSchema().dump(order)
            assert _dump_order(order) == expected
            assert jsonify(_dump_order(order)).data == jsonify(expected).data
        assert len(full.lines) == 2 and full.coupon_id is not None
