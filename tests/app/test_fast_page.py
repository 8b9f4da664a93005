"""``app.fast_page.compile_dump`` gives what the schema's ``dump`` gives, for any values of
its flat fields, and refuses a schema it cannot compile."""

from __future__ import annotations

from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, fields

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


def test_a_nested_field_is_refused():
    class Deep(Schema):
        inner = fields.Nested(FlatSchema)

    with pytest.raises(TypeError, match="Deep.inner"):
        compile_dump(Deep)
