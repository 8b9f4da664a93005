"""webargs' view of ``request.args`` without an exception per field the query leaves out.

webargs wraps the query string in a ``MultiDictProxy`` and marshmallow asks it for every
field of the schema; werkzeug's ``MultiDict.get`` answers a missing key by raising and
catching a ``BadRequestKeyError`` (an HTTP exception, built with its description), so a
list endpoint with ten filters built ten exceptions on every request that gave none.
``QueryArgsProxy`` reads the same first value (or, for a list field, every value) straight
from the ``MultiDict``'s own dict of lists, and a schema's multi-valued keys are worked out
once per schema the parser keeps (``app.extensions.SchemaReusingParser``), not per request.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

MULTI_FIELDS = (ma.fields.List, ma.fields.Tuple)  # webargs' own default


class QueryArgsProxy(MultiDictProxy):
    """``MultiDictProxy(args, schema)`` for a werkzeug ``MultiDict`` with the schema's
    multi-valued keys already known: the same values, no exception for a missing key."""

    def __init__(self, args: MultiDict, multiple_keys: set[str]) -> None:
        self.data = args
        self.args = args
        self.known_multi_fields = MULTI_FIELDS
        self.multiple_keys = multiple_keys  # shared by the schema's requests, never changed

    def __getitem__(self, key: str) -> Any:
        values = dict.get(self.args, key)  # a MultiDict keeps each key's values in a list
        if not values:  # no such key (or no value): what MultiDict.get's default gives
            return ma.missing
        if key in self.multiple_keys:
            return self.args.getlist(key)
        return values[0]


def multiple_keys(schema: ma.Schema) -> set[str]:
    """The keys of ``schema`` webargs reads as lists (``MultiDictProxy``'s rule)."""
    return MultiDictProxy(MultiDict(), schema, MULTI_FIELDS).multiple_keys
