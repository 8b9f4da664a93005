"""Templates carry no inline JavaScript, no style attributes, and draw list tables with the
table macro; every response says scripts come only from our own origin (CSP)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import render_template_string

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    path
    for folder in ("app", "franchise", "community", "livestream")
    for path in (ROOT / folder).rglob("templates/**/*.html")
)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER_ATTR = re.compile(r"<[a-z][^<>]*\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
# A width that is the data itself (a progress bar's fill) stays a style attribute.
DYNAMIC_STYLE = 'style="width:{{'
# Tables that are not lists of records, each with the reason it is drawn by hand.
HAND_TABLES = {
    "app/web/templates/macros/table.html": "the macro itself",
    "app/web/templates/apidocs/index.html": "responses: status → description, no header",
    "community/templates/community/delivery/benchmarks.html": "a two-row comparison",
    "livestream/templates/livestream/admin/review/_macros.html": "leaderboards, no header",
    "livestream/templates/livestream/admin/targets/targets.html": "an editor: a tree of inputs",
    "franchise/templates/franchise/members/settings.html": "an editor: a row of inputs a level",
    "community/templates/community/journeys/form.html": "an editor: a row of inputs a step",
    "livestream/templates/livestream/admin/campaigns/wizard.html": "a preview its script fills",
}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_template_list_is_not_empty():
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("path", TEMPLATES, ids=_rel)
def test_no_inline_script_or_event_handler(path):
    text = path.read_text(encoding="utf-8")
    for match in SCRIPT_TAG.finditer(text):
        attrs = match.group(1)
        assert "src=" in attrs or 'type="application/json"' in attrs, (_rel(path), match.group(0))
    assert not HANDLER_ATTR.search(text), _rel(path)


@pytest.mark.parametrize("path", TEMPLATES, ids=_rel)
def test_no_style_attribute_but_data_widths(path):
    text = path.read_text(encoding="utf-8").replace(DYNAMIC_STYLE, "")
    assert not STYLE_ATTR.search(text), _rel(path)


@pytest.mark.parametrize("path", TEMPLATES, ids=_rel)
def test_list_tables_go_through_the_macro(path):
    text = path.read_text(encoding="utf-8")
    if "<table" in text:
        assert _rel(path) in HAND_TABLES, f"{_rel(path)}: draw the list with data_table"


def test_page_scripts_exist_where_templates_load_them():
    static = ROOT / "app/web/static"
    for path in TEMPLATES:
        for name in re.findall(r"filename='(js/[^']+)'", path.read_text(encoding="utf-8")):
            assert (static / name).is_file(), (_rel(path), name)


def test_every_response_allows_scripts_from_our_origin_only(client):
    for url in ("/admin/login", "/m/login", "/api/v1/docs", "/healthz"):
        response = client.get(url)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy, url
        assert "unsafe-inline" not in policy, url


CALL_TABLE = """{% from "macros/table.html" import data_table %}
{% call(r) data_table([_("Name"), ("Amount", "num"), ""], rows, id="t", title="Things",
                      empty_text=empty, empty_css="muted") %}
<tr data-id="{{ r.id }}"><td>{{ r.name }}</td><td class="num">{{ r.amount }}</td><td></td></tr>
{% endcall %}"""


def test_data_table_draws_a_call_block_per_row(app):
    rows = [{"id": 1, "name": "<b>店</b>", "amount": 3}, {"id": 2, "name": "铺", "amount": 4}]
    with app.test_request_context("/admin/x"):
        html = render_template_string(CALL_TABLE, rows=rows, empty="None yet")
    assert '<table class="data" id="t">' in html
    assert '<th scope="col" class="num">Amount</th>' in html
    assert html.count('<th scope="col">') == 2
    assert '<tr data-id="1">' in html and '<tr data-id="2">' in html
    assert "&lt;b&gt;店" in html and "None yet" not in html
    assert '<div class="card-head"><h2>Things</h2></div>' in html
    assert "table-foot" not in html  # a plain list has no count or pagination


def test_data_table_takes_lazy_labels_whole(app):
    from flask_babel import lazy_gettext

    template = '{% from "macros/table.html" import data_table %}{{ data_table([label], []) }}'
    with app.test_request_context("/admin/x"):
        html = render_template_string(template, label=lazy_gettext("Region"))
    assert '<th scope="col">大区</th>' in html


def test_data_table_empty_row_options(app):
    with app.test_request_context("/admin/x"):
        shown = render_template_string(CALL_TABLE, rows=[], empty="None yet")
        hidden = render_template_string(CALL_TABLE, rows=[], empty=False)
    assert '<td colspan="3" class="muted">None yet</td>' in shown
    assert "colspan" not in hidden
