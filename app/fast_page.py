"""A list page in one statement built once, its items dumped without marshmallow's per-object work.

``page_of`` (``app.schemas``) reads a page as ORM objects in two statements (a count and
the page) and the route's schema dumps each object field by field. For a busy list whose
item schema is flat (integers, strings, booleans, ISO date-times), ``ShapedList`` selects
the columns only and counts the matches in the same statement (``count(*) OVER ()``; a
second count only for a page past the end). The statement is built once per *shape* (the
caller's kind of scope and which filters are given: their values, the scope's id and the
page's limit and offset are bound parameters), so a request builds no SQL expression and
runs the statement through ``app.direct_read.read_rows`` (compiled and planned once).
``compile_dump`` turns the schema into a plain function from a row to the same dict the
schema's ``dump`` gives (tests compare the two), so the route answers the identical JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from flask import Response, current_app
from marshmallow import Schema, fields, missing
from sqlalchemy import Integer, Select, bindparam, func, select

from app.direct_read import read_rows
from app.extensions import db

TOTAL = "_page_total"
_AS_IS = (fields.Integer, fields.String, fields.Boolean)  # the column's value is the JSON's
LIMIT, OFFSET = bindparam("_page_limit", type_=Integer), bindparam("_page_offset", type_=Integer)
MAX_SHAPES = 256  # statements kept per list; past it (not expected) a shape is built per call


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def compile_dump(
    schema: type[Schema],
    columns: Sequence[str] | None = None,
    convert: Mapping[str, Callable[[Any], Any]] | None = None,
) -> Callable[[Any], dict]:
    """A function giving, for a row, what ``schema().dump(row)`` gives: the row a mapping
    keyed by attribute name, or with ``columns`` (the attribute names in the row's order)
    a tuple. ``convert`` maps an attribute to a function applied to its value first.
    Only flat fields are accepted (raises ``TypeError`` otherwise): integers, strings and
    booleans pass as the database gives them (the columns' types are the fields'), ISO
    date-times are written with ``isoformat``. Plain fields come first in the dict, then
    the date-times."""
    convert = convert or {}
    plain: list[tuple[str, Any, Callable[[Any], Any] | None]] = []
    dated: list[tuple[str, Any, Callable[[Any], Any] | None]] = []
    for name, field in schema().dump_fields.items():
        source, key = field.attribute or name, field.data_key or name
        at = source if columns is None else list(columns).index(source)
        if type(field) in _AS_IS:
            plain.append((key, at, convert.get(source)))
        elif type(field) is fields.DateTime and field.format in (None, "iso"):
            first = convert.get(source)
            dated.append((key, at, _iso if first is None else _then_iso(first)))
        else:
            raise TypeError(f"{schema.__name__}.{name}: not a flat field")
    entries = plain + dated

    def dump(row: Any) -> dict:
        return {key: row[at] if fn is None else fn(row[at]) for key, at, fn in entries}

    return dump


def _then_iso(first: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: _iso(first(value))


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


class ShapedList:
    """One list's page statements, built once per shape by ``build(shape)`` (a column
    select, filtered and ordered, whose varying values are bound parameters), each row
    dumped by ``dump`` (a ``compile_dump`` over the select's columns)."""

    def __init__(self, build: Callable[[Any], Select], dump: Callable[[Any], dict]) -> None:
        self.build = build
        self.dump = dump
        self._kept: dict[Hashable, tuple[Select, Select]] = {}

    def statements(self, shape: Hashable) -> tuple[Select, Select]:
        """The page statement of ``shape`` (the columns, the count of every match, a
        limit and an offset) and its count statement (for a page past the end)."""
        found = self._kept.get(shape)
        if found is None:
            stmt = self.build(shape)
            paged = stmt.add_columns(func.count().over().label(TOTAL)).limit(LIMIT).offset(OFFSET)
            count = select(func.count()).select_from(stmt.order_by(None).subquery())
            found = (paged, count)
            if len(self._kept) < MAX_SHAPES:
                found = self._kept.setdefault(shape, found)
        return found

    def page(self, shape: Hashable, args: dict, params: dict) -> dict:
        """One page as ``{"items", "total", "page", "per_page"}`` (``args`` loaded by a
        ``PageArgsSchema``); ``params`` are the shape's bound values."""
        page, per_page = args["page"], args["per_page"]
        paged, count = self.statements(shape)
        connection = db.session.connection()
        bound = {**params, LIMIT.key: per_page, OFFSET.key: (page - 1) * per_page}
        rows = read_rows(connection, paged, bound)
        if rows:
            total = rows[0][-1]
        elif page == 1:
            total = 0
        else:  # past the end: the window saw no row
            total = read_rows(connection, count, params)[0][0]
        dump = self.dump
        return {
            "items": [dump(row) for row in rows],
            "total": total or 0,
            "page": page,
            "per_page": per_page,
        }
