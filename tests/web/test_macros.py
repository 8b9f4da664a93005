"""Table, filter and form macros rendered in a request like the domains' pages do."""

from __future__ import annotations

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired

from app.web.listing import Column, paginate

TABLE = """{% from "macros/table.html" import filter_form, data_table %}
{{ filter_form(fields, request.args) }}{{ data_table(columns, page, export_url=export) }}"""


def _render_table(app, query: str, rows, export=None) -> str:
    columns = [
        Column("name", "Name", link=lambda r: f"/s/{r['id']}"),
        Column("amount_fen", "Amount", money=True),
        Column("count", "Count", numeric=True),
    ]
    fields = [
        {"name": "q", "label": "Search", "type": "text"},
        {
            "name": "status",
            "label": "Status",
            "type": "select",
            "options": [("open", "Open"), ("closed", "Closed")],
        },
        {"name": "day", "label": "Day", "type": "date"},
    ]
    with app.test_request_context("/admin/stores" + query):
        return render_template_string(
            TABLE, columns=columns, page=paginate(rows), fields=fields, export=export
        )


def test_table_pagination_keeps_the_query_string(app):
    rows = [{"id": i, "name": f"店{i}", "amount_fen": i * 100, "count": i} for i in range(50)]
    html = _render_table(
        app, "?q=%E4%B8%8A%E6%B5%B7&status=open&page=2", rows, export="/admin/stores.csv?q=x"
    )
    assert 'href="/admin/stores?q=%E4%B8%8A%E6%B5%B7&amp;status=open&amp;page=3"' in html
    assert 'href="/admin/stores?q=%E4%B8%8A%E6%B5%B7&amp;status=open&amp;page=1"' in html
    assert '<td class="num">¥20.00</td>' in html
    assert '<th scope="col" class="num">Amount</th>' in html
    assert '<a href="/s/20">店20</a>' in html
    assert 'href="/admin/stores.csv?q=x"' in html
    assert '<option value="open" selected>Open</option>' in html
    assert 'value="上海"' in html
    assert 'type="date" name="day"' in html
    assert "共 50 条" in html


def test_table_empty_text_and_no_export(app):
    html = _render_table(app, "", [])
    assert "暂无数据" in html
    assert ".csv" not in html
    assert 'class="pagination"' not in html


def test_table_escapes_cell_values(app):
    html = _render_table(
        app, "", [{"id": 1, "name": "<script>x</script>", "amount_fen": 1, "count": 1}]
    )
    assert "<script>x" not in html and "&lt;script&gt;" in html


class DemoForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired()])
    size = IntegerField("Size", description="How many seats.")
    kind = SelectField("Kind", choices=["a", "b"])
    active = BooleanField("Active")


FORM = """{% from "macros/forms.html" import form_card, render_field %}
{{ form_card(form, "/save", "Save", cancel_url="/back") }}
{{ render_field(form.name, placeholder="x") }}"""


def test_form_card_shows_fields_and_errors(app):
    with app.test_request_context("/save", method="POST", data={"size": "abc"}):
        form = DemoForm(meta={"csrf": False})
        assert not form.validate()
        html = render_template_string(FORM, form=form)
    assert 'action="/save"' in html and 'href="/back"' in html
    assert '<label class="required" for="name">Name</label>' in html
    assert 'class="field has-error"' in html
    assert "必填" in html  # WTForms messages come translated (Flask-WTF i18n)
    assert 'class="field-errors"' in html
    assert "How many seats." in html
    assert 'type="checkbox"' in html
    assert 'placeholder="x"' in html
    assert 'aria-invalid="true"' in html
