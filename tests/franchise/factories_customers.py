"""Factories for the customers area: customers (written directly), share codes, and a
mini-program login with the statements it sent."""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.clock import utcnow
from app.extensions import db
from franchise.models import Customer, Guide, ShareCode, Store
from tests.fixtures.database import saved
from tests.fixtures.statements import statements
from tests.franchise.factories_commerce import gen_customer as customer_of

_seq = itertools.count(1)


def gen_customer(store: Store | None = None, franchisee_id: int | None = None, **kw) -> Customer:
    """A customer owned by ``store`` (and its franchisee) unless told otherwise: the
    customer factory (``factories_commerce.gen_customer``) called with a store."""
    if store is not None:
        kw.setdefault("store_id", store.id)
        franchisee_id = franchisee_id or store.franchisee_id
    assert franchisee_id is not None, "a store or a franchisee"
    return customer_of(franchisee_id, **kw)


def expire_binding(customer: Customer, days: int = 400) -> None:
    """Move the customer's binding start far into the past."""
    customer.bound_at = utcnow() - timedelta(days=days)
    db.session.commit()


def gen_share_code(
    guide: Guide | None = None, store: Store | None = None, code: str | None = None
) -> ShareCode:
    store = store or guide.store
    return saved(
        ShareCode(
            code=code or f"SC{next(_seq):08d}",
            kind="guide" if guide else "store",
            franchisee_id=store.franchisee_id,
            store_id=store.id,
            guide_id=guide.id if guide else None,
        )
    )


def login_seen(app, client, code: str, **extra) -> tuple[dict, list[str]]:
    """``POST /api/v1/mp/session`` with ``code`` (and ``extra``): the answer (asserted 200)
    and the SQL statements the login sent."""
    with app.app_context(), statements() as seen:
        answer = client.post("/api/v1/mp/session", json={"code": code, **extra})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json(), seen
