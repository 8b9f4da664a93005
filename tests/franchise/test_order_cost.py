"""Per-request cost of order create (issue 20): its one write statement keeps psycopg's
parse, and the level discount reads neither the member settings (a snapshot) nor the
member's level when HQ named no discount category."""

from __future__ import annotations

import re

from psycopg import _queries

from app.db import widen_parse_cache
from franchise.services import member_settings
from franchise.services.order_writes import placed_sql
from tests.fixtures.statements import statements


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
