"""Listing helper: page bounds, bad query values, Column formatting, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from markupsafe import Markup
from sqlalchemy import select

from app.auth.models import User
from app.web.listing import Column, csv_response, page_args, paginate
from tests.fixtures.auth import gen_user


def test_page_args_sanitises_bad_values(app):
    cases = {
        "": (1, 20),
        "?page=3&per_page=50": (3, 50),
        "?page=0&per_page=0": (1, 20),
        "?page=-2&per_page=-5": (1, 20),
        "?page=abc&per_page=1e3": (1, 20),
        "?page=2.5&per_page=201": (1, 20),
        "?page=99999999999999999999&per_page=200": (1, 200),
        "?page=%00&per_page=%20": (1, 20),
    }
    for query, expected in cases.items():
        with app.test_request_context("/x" + query):
            assert page_args() == expected, query


def test_paginate_a_list_clamps_past_the_end(app):
    rows = list(range(45))
    with app.test_request_context("/x?page=9&per_page=20"):
        page = paginate(rows)
    assert (page.page, page.pages, page.total) == (3, 3, 45)
    assert page.items == list(range(40, 45))
    assert page.has_prev and not page.has_next
    assert (page.first_index, page.last_index) == (41, 45)


def test_paginate_empty_list_is_page_one_of_one(app):
    with app.test_request_context("/x?page=4"):
        page = paginate([])
    assert (page.page, page.pages, page.total, page.items) == (1, 1, 0, [])
    assert not page.has_prev and not page.has_next
    assert page.first_index == 0


def test_paginate_select_returns_models_and_rows(ctx):
    for i in range(5):
        gen_user(f"user-{i}", "guide")
    stmt = select(User).order_by(User.id)
    with ctx.test_request_context("/x?page=2&per_page=2"):
        page = paginate(stmt)
        assert [u.username for u in page.items] == ["user-2", "user-3"]
        assert (page.total, page.pages, page.prev_num, page.next_num) == (5, 3, 1, 3)
        rows = paginate(select(User.id, User.username).order_by(User.id), page=3, per_page=2)
        assert [r.username for r in rows.items] == ["user-4"]


def test_iter_pages_puts_gaps_in_long_runs():
    from app.web.listing import Page

    page = Page([], 500, 10, 20, 25, True, True)
    assert list(page.iter_pages()) == [1, None, 8, 9, 10, 11, 12, None, 25]


def test_column_display_formats():
    when = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    row = {"amount_fen": 123456, "at": when, "n": 12345, "flag": True, "empty": None}
    assert Column("amount_fen", "A", money=True).display(row) == "¥1,234.56"
    assert Column("at", "T", time=True).display(row) == "2026-03-02 00:30"
    assert Column("n", "N", numeric=True).display(row) == "12,345"
    assert Column("empty", "E").display(row) == "—"
    assert Column("x", "X", value=lambda r: r["n"] * 2).display(row) == 24690
    assert Column("amount_fen", "A", money=True).css_class == "num"
    assert Column("x", "X", link=lambda r: "/go").href(row) == "/go"


def test_csv_has_bom_money_as_plain_yuan_and_guards_formulas(app):
    columns = [
        Column("name", "名称"),
        Column("amount_fen", "金额", money=True),
        Column("at", "时间", time=True),
        Column("note", "备注", value=lambda r: Markup("<b>粗</b>")),
    ]
    rows = [
        {"name": "上海店", "amount_fen": 123456, "at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"name": "=HYPERLINK(1)", "amount_fen": -5, "at": None},
    ]
    with app.test_request_context("/x"):
        response = csv_response("订单.csv", columns, rows)
        body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert response.content_type.startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E8%AE%A2%E5%8D%95.csv" in disposition
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert parsed[0] == ["名称", "金额", "时间", "备注"]
    assert parsed[1] == ["上海店", "1234.56", "2026-01-01 08:00", "粗"]
    assert parsed[2] == ["'=HYPERLINK(1)", "-0.05", "", "粗"]


def test_csv_streams_a_select(ctx):
    gen_user("csv-a", "guide", display_name="甲")
    gen_user("csv-b", "guide", display_name="乙")
    columns = [Column("username", "账号"), Column("display_name", "姓名")]
    with ctx.test_request_context("/x"):
        body = csv_response("g.csv", columns, select(User).order_by(User.id)).get_data()
    lines = body.decode("utf-8-sig").splitlines()
    assert lines == ["账号,姓名", "csv-a,甲", "csv-b,乙"]
