"""Paginated listings, table columns and CSV export for the admin pages.

The interface other engineers code against::

    from app.web.listing import Column, paginate, csv_response, filter_args
    args = filter_args(OrderQuerySchema)       # the filters of ?…; a bad one is dropped
    page = paginate(stmt)                      # ?page=&per_page= from the request
    columns = [Column("name", _l("Name"), link=lambda s: url_for(...)),
               Column("amount_fen", _l("Amount"), money=True)]
    return render_template("...", columns=columns, page=page)
    return csv_response("orders.csv", columns, stmt)   # streamed in batches of 500

Bad query values never raise: a page that is not a positive whole number is 1, a page
size outside 1..200 is 20, a page past the end is the last page. This module renders
nothing itself; ``macros/table.html`` draws the ``Page`` and the ``Column`` list.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Response, request, stream_with_context, url_for
from markupsafe import Markup
from marshmallow import EXCLUDE, ValidationError, fields
from sqlalchemy import Select, func, select

from app.schemas import MAX_PER_PAGE
from app.web.formatting import DASH, fen_plain, number, shanghai, yuan

DEFAULT_PER_PAGE = 20
CSV_INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _positive_int(raw: Any, default: int, maximum: int | None = None) -> int:
    """``raw`` as a whole number in 1..maximum, else ``default`` (never raises)."""
    try:
        value = int(str(raw).strip()) if raw is not None else default
    except (TypeError, ValueError):
        return default
    if value < 1 or (maximum is not None and value > maximum):
        return default
    return value


def page_args(page: Any = None, per_page: Any = None) -> tuple[int, int]:
    """``(page, per_page)`` from the arguments, else from ``?page=&per_page=``, sanitised."""
    if page is None:
        page = request.args.get("page")
    if per_page is None:
        per_page = request.args.get("per_page")
    return (
        _positive_int(page, 1, maximum=10**9),
        _positive_int(per_page, DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE),
    )


QUERY_DAY = fields.Date()


def query_day(name: str, default: date) -> date:
    """The ``YYYY-MM-DD`` day in query argument ``name`` (read by marshmallow's ``Date``,
    as the API's schemas read it), else ``default`` (a missing or bad value alike)."""
    try:
        return QUERY_DAY.deserialize(request.args.get(name, ""))
    except ValidationError:
        return default


def filter_args(schema_cls) -> dict:
    """The query string through ``schema_cls`` (a marshmallow schema of a list page's
    filters); a bad value is dropped, never an error."""
    raw = {k: v for k, v in request.args.items() if v != "" and k not in ("page", "per_page")}
    schema = schema_cls(unknown=EXCLUDE)
    while True:
        try:
            return schema.load(raw)
        except ValidationError as exc:
            bad = set(exc.normalized_messages()) & set(raw)
            if not bad:
                return {}
            raw = {k: v for k, v in raw.items() if k not in bad}


@dataclass
class Page:
    """One page of a listing and where it sits in the whole."""

    items: list
    total: int
    page: int
    per_page: int
    pages: int
    has_prev: bool
    has_next: bool

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def first_index(self) -> int:
        """1-based index of the first item on this page (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    def iter_pages(self, edge: int = 1, around: int = 2) -> Iterator[int | None]:
        """Page numbers to link, with ``None`` where a gap (…) goes."""
        last = 0
        for num in range(1, self.pages + 1):
            if num <= edge or num > self.pages - edge or abs(num - self.page) <= around:
                if last and num - last > 1:
                    yield None
                yield num
                last = num

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _make_page(items: list, total: int, page: int, per_page: int) -> Page:
    pages = max(1, math.ceil(total / per_page)) if total else 1
    return Page(items, total, page, per_page, pages, page > 1, page < pages)


def paginate(stmt: Select | Sequence, page: Any = None, per_page: Any = None) -> Page:
    """One page of a SQLAlchemy ``select`` (or of a plain list).

    A select of one entity or column gives scalars (model objects); a select of several
    gives ``Row`` objects whose columns are attributes. A page past the end is the last one.
    """
    page, per_page = page_args(page, per_page)
    if not isinstance(stmt, Select):
        rows = list(stmt)
        total = len(rows)
        pages = max(1, math.ceil(total / per_page))
        page = min(page, pages)
        start = (page - 1) * per_page
        return _make_page(rows[start : start + per_page], total, page, per_page)

    from app.extensions import db

    count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = db.session.scalar(count_stmt) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    window = stmt.limit(per_page).offset((page - 1) * per_page)
    if len(stmt.column_descriptions) == 1:
        items = list(db.session.scalars(window))
    else:
        items = list(db.session.execute(window))
    return _make_page(items, total, page, per_page)


@dataclass
class Column:
    """A table / CSV column: what to show for a row, how to format it, where it links."""

    key: str
    label: Any
    value: Callable[[Any], Any] | None = None
    link: Callable[[Any], str | None] | None = None
    numeric: bool = False
    money: bool = False
    time: bool = False
    css: str = field(default="", kw_only=True)

    @property
    def align_right(self) -> bool:
        return self.numeric or self.money

    @property
    def css_class(self) -> str:
        """Classes for the ``th``/``td``: ``num`` for right-aligned figures."""
        return " ".join(c for c in ("num" if self.align_right else "", self.css) if c)

    def raw(self, row: Any) -> Any:
        """The unformatted value: ``value(row)``, a mapping key, or ``getattr(row, key)``."""
        if self.value is not None:
            return self.value(row)
        if isinstance(row, dict):
            return row.get(self.key)
        return getattr(row, self.key, None)

    def display(self, row: Any) -> Any:
        """The value as shown in the table (``Markup`` passes through unescaped)."""
        value = self.raw(row)
        if self.money:
            return yuan(value)
        if self.time:
            return shanghai(value)
        if isinstance(value, Markup):
            return value
        if value is None or value == "":
            return DASH
        if isinstance(value, bool):
            from flask_babel import gettext

            return gettext("Yes") if value else gettext("No")
        if self.numeric:
            return number(value)
        return value

    def href(self, row: Any) -> str | None:
        return self.link(row) if self.link is not None else None

    def csv_value(self, row: Any) -> str:
        """The value for a CSV cell: money as plain yuan, times in Shanghai, text guarded."""
        value = self.raw(row)
        if value is None:
            return ""
        if self.money:
            return fen_plain(value)
        if self.time:
            return shanghai(value)
        if isinstance(value, Markup):
            value = value.striptags()
        if isinstance(value, bool):
            return "1" if value else "0"
        text = str(value)
        if not self.numeric and text.startswith(CSV_INJECTION_PREFIXES):
            text = "'" + text  # keep spreadsheets from running a formula
        return text


def _csv_rows(columns: list[Column], rows: Iterable) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([str(col.label) for col in columns])
    yield "\ufeff" + flush()
    for row in rows:
        writer.writerow([col.csv_value(row) for col in columns])
        yield flush()


def _lazy_rows(stmt: Select) -> Iterator:
    """Run ``stmt`` only when the response body is streamed, in batches of 500."""
    from app.extensions import db

    batched = stmt.execution_options(yield_per=500)
    if len(stmt.column_descriptions) == 1:
        yield from db.session.scalars(batched)
    else:
        yield from db.session.execute(batched)


def export_url(endpoint: str | None = None, **values: Any) -> str:
    """The CSV export of the list on this request: the same filters, every page (and the
    same path values, for a list inside one object's page)."""
    args: dict[str, Any] = dict(request.view_args or {}) if endpoint is None else {}
    args.update({k: v for k, v in request.args.items() if k not in ("page", "format")})
    args.update(values)
    return url_for(endpoint or request.endpoint or "", format="csv", **args)


def csv_response(filename: str, columns: list[Column], rows: Iterable | Select) -> Response:
    """Stream ``rows`` as a UTF-8 CSV with a BOM, so Excel opens Chinese text correctly.

    ``rows`` may be any iterable or a ``select`` (streamed in batches of 500).
    """
    if isinstance(rows, Select):
        rows = _lazy_rows(rows)
    ascii_name = filename.encode("ascii", "ignore").decode() or "export.csv"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        stream_with_context(_csv_rows(columns, rows)),
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
        content_type="text/csv; charset=utf-8",
    )
