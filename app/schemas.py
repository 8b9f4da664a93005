"""The marshmallow pieces every domain's API shares: ids, text, numbers and pages
(``PageQuerySchema`` / ``PageArgsSchema`` in, ``page_of`` a statement, ``page_schema``
out), the response mixins many answers start from (``IdNameSchema``,
``StatusStepSchema``) and an update's
body made from its create's (``all_optional``).

Bodies use strict integers and numbers (``"1"`` is refused) and bounded strings; query
strings are strings by nature, so their integers are not strict, but their ranges are
still bounded. A domain's own schemas (``franchise/schemas.py``, the ``api`` modules)
build on these.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields, missing, validate
from sqlalchemy import Select, func, select

from app.extensions import db

MAX_PER_PAGE = 200
MAX_ID = 2**31 - 1  # the largest value of an INTEGER key on PostgreSQL


def url_id(value: int) -> int:
    """An id from a URL path (or passed on from one): out of range (outside an INTEGER key)
    is simply not found (0)."""
    return value if 1 <= value <= MAX_ID else 0


BAD_TEXT = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class Text(fields.String):
    """A single-line string: no control characters, no lone surrogates."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if BAD_TEXT.search(text):
            raise ValidationError("Control characters and invalid Unicode are not allowed.")
        return text


class StrictFloat(fields.Float):
    """A JSON number (int or float); refuses strings and booleans."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def body_id(**kw) -> fields.Integer:
    """A strict id in a JSON body (1..``MAX_ID``)."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kw)


def query_id(**kw) -> fields.Integer:
    """An id in a query string (a string by nature, so not strict; 1..``MAX_ID``)."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kw)


def body_ids(max_items: int, **kw) -> fields.List:
    """A list of at most ``max_items`` strict ids in a JSON body."""
    return fields.List(body_id(), validate=validate.Length(max=max_items), **kw)


def per_page_arg(default: int = 20) -> fields.Integer:
    """``?per_page=``: ``default`` rows when absent, 1..``MAX_PER_PAGE``."""
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageArgsSchema(Schema):
    """``?page=&per_page=`` of a list endpoint without a search box."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**6))
    per_page = per_page_arg()


class PageQuerySchema(PageArgsSchema):
    """``?page=&per_page=&q=`` of a list endpoint."""

    q = Text(validate=validate.Length(max=64))


class IdNameSchema(Schema):
    """The ``id`` and ``name`` an answer about a named row starts with."""

    id = fields.Integer()
    name = fields.String()


class StatusStepSchema(Schema):
    """One move of a record along its states (an order, a service ticket, a
    consignment): from, to, a note, when; a record's answer adds who made it."""

    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    note = fields.String()
    created_at = fields.DateTime()


def all_optional(
    schema: type[Schema], name: str, *, exclude: Sequence[str] = (), **extra: fields.Field
) -> type[Schema]:
    """An update's body declared from its create's: ``schema``'s fields with the same
    rules (and its validators and options), each optional and without a default, so
    only what is given changes; ``exclude`` names the fields that cannot change, ``extra``
    the ones only an update sets. ``name`` is the class (and OpenAPI component) name."""
    attrs: dict[str, Any] = {"__module__": schema.__module__}
    for key, field in schema._declared_fields.items():
        if key not in exclude:
            clone = copy.deepcopy(field)
            clone.required = False
            clone.load_default = missing
            attrs[key] = clone
    attrs.update(extra)
    if exclude:
        attrs["Meta"] = type("Meta", (schema.Meta,), {"exclude": tuple(exclude)})
    return cast(type[Schema], type(name, (schema,), attrs))


def page_schema(item_schema: type[Schema], name: str, **extra: fields.Field) -> type[Schema]:
    """A ``{"items", "total", "page", "per_page"}`` envelope for ``item_schema``, with the
    ``extra`` fields an endpoint answers beside them (``group_id=fields.Integer()``)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            **extra,
        },
        name=name,
    )


def page_of(stmt: Select, args: dict, *, rows: bool = False) -> dict:
    """One page of ``stmt`` as ``{"items", "total", "page", "per_page"}`` (what
    ``page_schema`` dumps), ``args`` loaded by a ``PageArgsSchema``. The items are the
    statement's first column (its entities), or with ``rows`` its whole rows (a
    statement of several columns)."""
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    limited = stmt.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(limited) if rows else db.session.scalars(limited)
    return {"items": result.all(), "total": total or 0, "page": page, "per_page": per_page}
