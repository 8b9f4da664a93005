"""``app.fast_page.compile_dump`` gives what the schema's ``dump`` gives, for any values of
its flat fields (rows as mappings or as tuples), and refuses a schema it cannot compile;
``app.db.like_escaped`` escapes as SQLAlchemy's ``autoescape``."""

from __future__ import annotations

from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, fields
from sqlalchemy import String, column

from app.db import LIKE_ESCAPE, like_escaped
from app.fast_page import compile_dump


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
