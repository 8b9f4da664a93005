"""The one tenant scope helper every franchise-side query goes through.

A model says which of its columns carry the scope keys with ``__scope__``, e.g.
``{"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}``.
HQ sees everything; a franchise owner sees rows of their franchisee; a guide sees rows
of their own (guide column), else of their store, else nothing; a customer sees rows
naming them. A row outside the scope does not exist for the caller: 404, never 403.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import Select, bindparam, false, select

from app.auth.bound_scope import built_once
from app.auth.models import CUSTOMER, FRANCHISE_OWNER, GUIDE
from app.auth.principal import Principal, current_principal
from app.errors import NotFound
from app.extensions import db
from app.schemas import MAX_ID

ALL, NOTHING = "*all", "*nothing"  # scope_key's answers for HQ and for a caller with no rows


def scope_key(model, principal: Principal | None) -> tuple[str, int | None]:
    """Which of ``model``'s columns limits what ``principal`` may see, and to what value:
    ``(column name, id)``, ``(ALL, None)`` for HQ, ``(NOTHING, None)`` when nothing. A
    list built once per column (``scope_on`` with a bound parameter) runs for every
    caller with the same column."""
    if principal is None:
        return NOTHING, None
    if principal.is_hq:
        return ALL, None
    cols = getattr(model, "__scope__", {})
    if principal.role == FRANCHISE_OWNER:
        if "franchisee" in cols and principal.franchisee_id is not None:
            return cols["franchisee"], principal.franchisee_id
        return NOTHING, None
    if principal.role == GUIDE:
        if "guide" in cols and principal.guide_id is not None:
            return cols["guide"], principal.guide_id
        if "store" in cols and principal.store_id is not None:
            return cols["store"], principal.store_id
        return NOTHING, None
    if principal.role == CUSTOMER and "customer" in cols and principal.customer_id is not None:
        return cols["customer"], principal.customer_id
    return NOTHING, None


def scope_on(model, column: str, value):
    """The WHERE clause of ``scope_key``'s answer ``(column, value)`` (None = all);
    ``value`` an id or a ``bindparam``."""
    if column == ALL:
        return None
    if column == NOTHING:
        return false()
    return getattr(model, column) == value


def scope_clause(model, principal: Principal | None):
    """The WHERE clause limiting ``model`` to what ``principal`` may see (None = all)."""
    return scope_on(model, *scope_key(model, principal))


def scoped(stmt: Select | None, model, principal: Principal | None = None) -> Select:
    """Add the tenant filter for ``model`` to ``stmt`` (default ``select(model)``)."""
    if stmt is None:
        stmt = select(model)
    clause = scope_clause(model, principal if principal is not None else current_principal())
    return stmt if clause is None else stmt.where(clause)


def not_found(model) -> NotFound:
    """The 404 for a row of ``model``: "Order not found", "Care task not found".

    One fixed message per model (the class name in words), so the error handler finds
    its translation ("订单不存在"); the message ids are listed in
    ``app/web/display_messages.py``.
    """
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", model.__name__).capitalize()
    return NotFound(f"{words} not found")


def get_scoped_or_404(model, object_id, principal: Principal | None = None):
    """Load one row the caller may see, or raise ``NotFound`` (also for other tenants,
    and for an id no key can hold: not a whole number, or outside 1..``MAX_ID``)."""
    if not isinstance(object_id, int) or isinstance(object_id, bool):
        raise not_found(model)
    if not 1 <= object_id <= MAX_ID:
        raise not_found(model)
    principal = principal if principal is not None else current_principal()
    if principal is None:
        obj = db.session.scalars(scoped(select(model).where(model.id == object_id), model)).first()
    else:  # the statement built once per model, role and scope keys (its cache key too)
        stmt, params = built_once(_by_id(model), principal)
        obj = db.session.scalars(stmt, {**params, "object_id": object_id}).first()
    if obj is None:
        raise not_found(model)
    return obj


_BY_ID: dict[type, Callable[[Principal], Select]] = {}


def _by_id(model) -> Callable[[Principal], Select]:
    """The one builder of ``model``'s scoped ``SELECT … WHERE id = :object_id`` (one
    function per model, so ``built_once`` keeps its statement)."""
    build = _BY_ID.get(model)
    if build is None:

        def build(principal: Principal) -> Select:
            by_id = select(model).where(model.id == bindparam("object_id"))
            return scoped(by_id, model, principal)

        build = _BY_ID.setdefault(model, build)
    return build
