"""The filters every list (API endpoint, admin page, guide page) puts on its statement:
equality on the keys the caller gave (``where_given``) and a text search over some
columns (``search``, through the escaped ``like`` pattern). One page of the result is
``app.schemas.page_of``'s or ``app.web``'s pagination.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, or_


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with the wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(stmt: Select, text: str | None, *columns) -> Select:
    """Filter ``stmt`` to rows where any of ``columns`` contains ``text`` (no-op if empty)."""
    if not text:
        return stmt
    pattern = like(text)
    return stmt.where(or_(*(column.ilike(pattern, escape="\\") for column in columns)))


def where_given(stmt: Select, model: Any, args: Mapping, keys: Iterable[str]) -> Select:
    """Filter ``stmt`` to ``model.<key> == args[key]`` for each of ``keys`` the caller
    gave (an absent, empty or zero value filters nothing)."""
    for key in keys:
        if args.get(key):
            stmt = stmt.where(getattr(model, key) == args[key])
    return stmt
