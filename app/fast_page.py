"""A list page in one statement, its items dumped without marshmallow's per-object work.

``page_of`` (``app.schemas``) reads a page as ORM objects in two statements (a count and
the page) and the route's schema dumps each object field by field. For a busy list whose
item schema is flat (integers, strings, booleans, ISO date-times), ``one_statement_page``
selects the columns only, counts the matches in the same statement (``count(*) OVER
()``; a second count only for a page past the end) and ``compile_dump`` turns the
schema into a plain function from a row mapping to the same dict the schema's ``dump``
gives (tests compare the two), so the route answers the identical JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, current_app
from marshmallow import Schema, fields, missing
from sqlalchemy import Select, func, select

from app.extensions import db

TOTAL = "_page_total"
_AS_IS = (fields.Integer, fields.String, fields.Boolean)  # the column's value is the JSON's


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def compile_dump(schema: type[Schema]) -> Callable[[Mapping[str, Any]], dict]:
    """A function giving, for a row mapping keyed by attribute name, what
    ``schema().dump(row)`` gives. Only flat fields are accepted (raises ``TypeError``
    otherwise): integers, strings and booleans pass as the database gives them (the
    columns' types are the fields'), ISO date-times are written with ``isoformat``."""
    plain: list[tuple[str, str]] = []
    dated: list[tuple[str, str]] = []
    for name, field in schema().dump_fields.items():
        source, key = field.attribute or name, field.data_key or name
        if type(field) in _AS_IS:
            plain.append((key, source))
        elif type(field) is fields.DateTime and field.format in (None, "iso"):
            dated.append((key, source))
        else:
            raise TypeError(f"{schema.__name__}.{name}: not a flat field")

    def dump(row: Mapping[str, Any]) -> dict:
        out = {key: row[source] for key, source in plain}
        for key, source in dated:
            out[key] = _iso(row[source])
        return out

    return dump


_ABSENT = object()  # an attribute the object lacks: marshmallow leaves its key out


def compile_object_dump(schema: type[Schema]) -> Callable[[Any], dict]:
    """A function giving, for an object read by attribute (an ORM row as written), what
    ``schema().dump(obj)`` gives: integers, strings and booleans as the object holds them,
    ISO date-times with ``isoformat``, a list of a nested schema through that schema's own
    compiled dump, and any other field through the schema's own field (``serialize``).
    A schema with dump hooks, or a nested field with ``only`` / ``exclude`` / ``many``, is
    refused (``TypeError``): their rules are marshmallow's to apply."""
    bound = schema()
    if bound._hooks.get("pre_dump") or bound._hooks.get("post_dump"):
        raise TypeError(f"{schema.__name__}: dump hooks")
    steps: list[tuple[str, str, str, Callable[[Any], Any] | None, fields.Field]] = []
    for name, field in bound.dump_fields.items():
        source, key = field.attribute or name, field.data_key or name
        convert: Callable[[Any], Any] | None
        if type(field) in _AS_IS:
            convert = _as_is
        elif type(field) is fields.DateTime and field.format in (None, "iso"):
            convert = _iso
        elif type(field) is fields.List and type(field.inner) is fields.Nested:
            convert = _each(field.inner, f"{schema.__name__}.{name}")
        else:
            convert = None  # the field's own serialize
        steps.append((key, name, source, convert, field))

    def dump(obj: Any) -> dict:
        out = {}
        for key, name, source, convert, field in steps:
            if convert is None:
                value = field.serialize(name, obj)
                if value is missing:
                    continue
            else:
                value = getattr(obj, source, _ABSENT)
                if value is _ABSENT:
                    continue
                value = convert(value)
            out[key] = value
        return out

    return dump


def _as_is(value: Any) -> Any:
    return value


def _each(nested: fields.Nested, where: str) -> Callable[[Any], Any]:
    """A list field of ``nested``'s schema: each item through its compiled dump."""
    if nested.only or nested.exclude or nested.many or not isinstance(nested.nested, type):
        raise TypeError(f"{where}: a nested field with only, exclude, many or a schema instance")
    item = compile_object_dump(nested.nested)

    def each(values: Any) -> Any:
        return None if values is None else [None if v is None else item(v) for v in values]

    return each


def json_response(body: Any) -> Response:
    """``body`` (already in the route schema's shape, or JSON bytes) as the answer: the
    route's ``@blp.response`` schema documents it and does not dump it again."""
    if not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False)
    return current_app.response_class(body, mimetype="application/json")


def one_statement_page(
    stmt: Select, args: dict, dump: Callable[[Mapping], dict], params: dict | None = None
) -> dict:
    """One page of the column select ``stmt`` as ``{"items", "total", "page",
    "per_page"}`` (``args`` loaded by a ``PageQuerySchema``), each row through ``dump``;
    ``params`` are the statement's bound parameters."""
    page, per_page = args["page"], args["per_page"]
    paged = stmt.add_columns(func.count().over().label(TOTAL))
    paged = paged.limit(per_page).offset((page - 1) * per_page)
    # columns only: run on the session's connection, past the ORM's execution machinery
    rows = db.session.connection().execute(paged, params).mappings().all()
    if rows:
        total = rows[0][TOTAL]
    elif page == 1:
        total = 0
    else:  # past the end: the window saw no row
        count = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = db.session.connection().execute(count, params).scalar()
    return {
        "items": [dump(row) for row in rows],
        "total": total or 0,
        "page": page,
        "per_page": per_page,
    }
