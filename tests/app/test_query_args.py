"""The API's query strings load exactly as with webargs' own parser: the same values and
the same errors, with list fields, repeated keys, empty values and unknown keys
(``app.query_args.QueryArgsProxy`` reads ``request.args`` without werkzeug's exception per
missing field)."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import fields
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from app.extensions import SchemaReusingParser
from app.schemas import PageQuerySchema
from community.schemas import GroupQuerySchema
from livestream.api.campaigns import CampaignQuerySchema


class TaggedQuerySchema(PageQuerySchema):
    tag = fields.List(fields.Integer())
    on = fields.Boolean()


SCHEMAS = (GroupQuerySchema, CampaignQuerySchema, TaggedQuerySchema)
keys = st.sampled_from(
    ["page", "per_page", "q", "stage", "status", "store_id", "is_benchmark", "mode"]
    + ["tag", "on", "unknown"]
)
values = st.sampled_from(
    ["", "1", "2", "0", "-3", "x", "true", "seeding", "live", "上海", "9" * 30]
)
pairs = st.lists(st.tuples(keys, values), max_size=6)


def _load(app, parser, schema, query: str):
    with app.test_request_context(f"/api/v1/anything?{query}"):
        from flask import request

        try:
            return "ok", parser.parse(schema, request, location="query")
        except HTTPException as refused:
            return "refused", refused.data["messages"]  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@given(schema=st.sampled_from(SCHEMAS), query=pairs)
def test_a_query_loads_as_with_webargs_own_parser(app, schema, query):
    text = urlencode(query)
    ours = _load(app, SchemaReusingParser(), schema, text)
    stock = _load(app, FlaskParser(), schema, text)
    assert ours == stock
    again = SchemaReusingParser()
    assert _load(app, again, schema, text) == _load(app, again, schema, text) == stock
