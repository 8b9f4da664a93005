"""``app.web.form_input``: a page's MultiDict becomes the schema's JSON input, and the
schema's errors become per-field messages in the viewer's language."""

from __future__ import annotations

import pytest
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from app.money import Yuan
from app.web.form_input import FormInvalid, form_values, load_form


class Sample(Schema):
    name = fields.String(required=True)
    note = fields.String(allow_none=True)
    count = fields.Integer(strict=True, load_default=1, validate=validate.Range(0, 10**6))
    day = fields.Integer(strict=True, allow_none=True)
    ids = fields.List(fields.Integer(strict=True))
    price = Yuan(lo=1)


def test_form_text_becomes_json_values():
    form = MultiDict(
        [
            ("name", " 小美 "),
            ("note", ""),
            ("count", "1,200"),
            ("day", ""),
            ("ids", "3, 1 2"),
            ("ids", "4"),
            ("price", "¥12.50"),
            ("csrf_token", "x"),
        ]
    )
    assert form_values(Sample(), form) == {
        "name": " 小美 ",
        "note": None,
        "count": 1200,
        "day": None,
        "ids": [3, 1, 2, 4],
        "price": "¥12.50",
    }
    assert load_form(Sample(), form)["price"] == 1250
    assert load_form(Sample(), MultiDict({"name": "x", "count": ""}))["count"] == 1  # default


def test_errors_are_per_field_and_translated(app):
    form = MultiDict({"count": "x", "ids": "1 y", "price": "1.005"})
    with app.test_request_context("/"), pytest.raises(FormInvalid) as err:
        load_form(Sample(), form)
    assert err.value.status == 422
    assert err.value.errors == {
        "name": ["必填字段。"],
        "count": ["不是有效的整数。"],
        "ids.1": ["不是有效的整数。"],
        "price": ["请输入以元为单位的金额，如 12.50。"],
    }


class PriceForm(Schema):
    price_fen = Yuan(data_key="price_yuan", required=True)


def test_a_service_error_on_the_attribute_lands_on_the_typed_box(app):
    from flask_wtf import FlaskForm
    from wtforms import StringField

    from app.errors import DomainError
    from app.web.form_input import put_errors

    class Page(FlaskForm):
        price_yuan = StringField()

    with app.test_request_context("/"):
        page = Page(meta={"csrf": False})
        refused = DomainError("bad", errors={"price_fen": ["Too dear."]})
        assert not put_errors(page, refused)  # no box called price_fen
        assert put_errors(page, refused, PriceForm())
        assert page.price_yuan.errors == ["Too dear."]
