"""``app.fast_page.compile_dump`` gives what the schema's ``dump`` gives, for any values of
its flat fields (rows as mappings or as tuples), and refuses a schema it cannot compile;
``compile_object_dump`` likewise for objects, nested lists and fields it hands to
marshmallow; ``app.db.like_escaped`` escapes as SQLAlchemy's ``autoescape``."""

from __future__ import annotations

from datetime import UTC
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, fields, post_dump
from sqlalchemy import String, column

from app.db import LIKE_ESCAPE, like_escaped
from app.fast_page import compile_dump, compile_object_dump


class FlatSchema(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    on = fields.Boolean()
    at = fields.DateTime(allow_none=True)
    label = fields.String(attribute="title", data_key="caption")


rows = st.fixed_dictionaries(
    {
        "id": st.integers(-(2**63), 2**63 - 1),
        "name": st.none() | st.text(),
        "on": st.booleans(),
        "at": st.none() | st.datetimes() | st.datetimes(timezones=st.just(UTC)),
        "title": st.text(),
    }
)


@given(rows)
def test_the_compiled_dump_is_the_schemas(row):
    assert compile_dump(FlatSchema)(row) == FlatSchema().dump(row)
    columns = list(row)
    by_position = compile_dump(FlatSchema, columns=columns)
    assert by_position(tuple(row.values())) == FlatSchema().dump(row)


def test_a_nested_field_is_refused():
    class Deep(Schema):
        inner = fields.Nested(FlatSchema)

    with pytest.raises(TypeError, match="Deep.inner"):
        compile_dump(Deep)


@given(st.text())
def test_like_escaped_is_sqlalchemys_autoescape(text):
    """A list statement built once filters by ``contains(bindparam, escape=…)`` with
    ``like_escaped``: the same SQL and value as ``contains(text, autoescape=True)``."""
    name = column("name", String)
    ours = name.contains(like_escaped(text), escape=LIKE_ESCAPE).compile()
    theirs = name.contains(text, autoescape=True).compile()
    assert (str(ours), ours.params) == (str(theirs), theirs.params)


class LineSchema(Schema):
    id = fields.Integer()
    sku = fields.String(allow_none=True)
    doubled = fields.Function(lambda line: line.id * 2)


class ObjectSchema(FlatSchema):
    lines = fields.List(fields.Nested(LineSchema), allow_none=True)
    first = fields.Method("first_id")
    since = fields.Date(allow_none=True)

    def first_id(self, obj):
        lines = getattr(obj, "lines", None)
        return lines[0].id if lines else None


lines = st.lists(
    st.builds(SimpleNamespace, id=st.integers(-(2**31), 2**31), sku=st.none() | st.text())
)
objects = st.builds(
    SimpleNamespace,
    id=st.integers(-(2**63), 2**63 - 1),
    name=st.none() | st.text(),
    on=st.booleans(),
    at=st.none() | st.datetimes() | st.datetimes(timezones=st.just(UTC)),
    title=st.text(),
    lines=st.none() | lines,
    since=st.none() | st.dates(),
)


@given(objects, st.sampled_from([(), ("name",), ("title", "lines")]))
def test_the_compiled_object_dump_is_the_schemas(obj, absent):
    """Any values, nested lines, a function, a method and another field's own dump; an
    attribute the object lacks is left out as marshmallow leaves it out."""
    for name in absent:
        delattr(obj, name)
    assert compile_object_dump(ObjectSchema)(obj) == ObjectSchema().dump(obj)


def test_an_object_dump_refuses_what_is_marshmallows_to_apply():
    class Hooked(FlatSchema):
        @post_dump
        def mark(self, data, **_kw):
            return data

    class Partial(Schema):
        lines = fields.List(fields.Nested(LineSchema, only=("id",)))

    for schema in (Hooked, Partial):
        with pytest.raises(TypeError):
            compile_object_dump(schema)
