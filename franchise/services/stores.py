"""Store rules: unique codes, moving a store (its guides follow), closing and reopening,
the owner's contact-detail edits and the all-or-nothing CSV upsert."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from app.i18n import tr
from franchise.models import Franchisee, Region, Store
from franchise.services.base import (
    STORE_CLOSED,
    Invalid,
    commit_then_notify,
    committed,
    ensure_unique,
    get_or_invalid,
    invalid,
    rollback_and_raise,
    sync_guide_user,
)

OWNER_STORE_FIELDS = frozenset({"phone", "business_hours"})
STORE_FIELDS = frozenset(
    {
        "franchisee_id",
        "region_id",
        "code",
        "name",
        "city",
        "address",
        "phone",
        "business_hours",
        "latitude",
        "longitude",
        "is_open",
        "customer_capacity",
        "opened_at",
    }
)


# --- stores -----------------------------------------------------------------------


def _move_store_to(store: Store, franchisee: Franchisee) -> None:
    store.franchisee_id = franchisee.id
    for guide in store.guides:
        guide.franchisee_id = franchisee.id
        sync_guide_user(guide)


def _apply_open_state(store: Store, is_open: bool) -> bool:
    """Open or close the store; True when this closed it."""
    if is_open and not store.is_open:
        store.is_open = True
        store.closed_at = None
        store.opened_at = store.opened_at or utcnow()
    elif not is_open and store.is_open:
        store.is_open = False
        store.closed_at = utcnow()
        return True
    return False


def _apply_store_changes(store: Store, changes: dict) -> bool:
    """Validate and apply HQ's changes to ``store``; True when they close it."""
    unknown = set(changes) - STORE_FIELDS
    if unknown:
        raise invalid(sorted(unknown)[0], "Unknown field.")
    if "code" in changes:
        ensure_unique(Store, "code", changes["code"], "code", "store code", exclude_id=store.id)
    if "region_id" in changes:
        get_or_invalid(Region, changes["region_id"], "region_id")
    if "franchisee_id" in changes and changes["franchisee_id"] != store.franchisee_id:
        _move_store_to(store, get_or_invalid(Franchisee, changes["franchisee_id"], "franchisee_id"))
    for key, value in changes.items():
        if key not in ("franchisee_id", "is_open"):
            setattr(store, key, value)
    return "is_open" in changes and _apply_open_state(store, changes["is_open"])


def create_store(data: dict) -> Store:
    """Create a store of a franchisee; its region defaults to the franchisee's."""
    with committed():
        franchisee = get_or_invalid(Franchisee, data.get("franchisee_id"), "franchisee_id")
        ensure_unique(Store, "code", data["code"], "code", "store code")
        fields = {k: v for k, v in data.items() if k not in ("franchisee_id", "is_open")}
        fields.setdefault("region_id", franchisee.region_id)
        get_or_invalid(Region, fields["region_id"], "region_id")
        store = Store(franchisee_id=franchisee.id, **fields)
        store.is_open = data.get("is_open", True)
        if store.is_open:
            store.opened_at = store.opened_at or utcnow()
        else:
            store.closed_at = utcnow()
        db.session.add(store)
    return store


def update_store(store: Store, changes: dict) -> Store:
    """HQ changes a store; moving it moves its guides; ``is_open=False`` closes it."""
    with committed() as after:
        if _apply_store_changes(store, changes):
            after.append((STORE_CLOSED, store.id))
    return store


def update_store_details(store: Store, changes: dict) -> Store:
    """A franchise owner changes the contact details of their own store, nothing else."""
    refused = set(changes) - OWNER_STORE_FIELDS
    if refused:
        raise Invalid(
            "Franchise owners may change only the phone and business hours.",
            errors={key: [tr("Only HQ may change this field.")] for key in sorted(refused)},
        )
    for key, value in changes.items():
        setattr(store, key, value)
    commit_then_notify()
    return store


def close_store(store: Store) -> Store:
    """Close a store (``is_open`` false, ``closed_at`` now) and run the ``STORE_CLOSED`` hook."""
    return update_store(store, {"is_open": False})


def reopen_store(store: Store) -> Store:
    """Open a closed store again."""
    return update_store(store, {"is_open": True})


def upsert_stores(rows: list[dict], progress: Callable[[dict], None] | None = None):
    """Create or update stores by code in one transaction; returns ``(created, updated)``.

    ``rows`` are already validated (``franchise.importer``): references are ids.
    """
    created = updated = 0
    closed: list[Store] = []
    try:
        for row in rows:
            store = db.session.scalars(select(Store).where(Store.code == row["code"])).first()
            if store is None:
                data = dict(row)
                is_open = data.pop("is_open")
                store = Store(**data, is_open=is_open)
                if is_open:
                    store.opened_at = utcnow()
                else:
                    store.closed_at = utcnow()
                db.session.add(store)
                db.session.flush()
                created += 1
            else:
                if _apply_store_changes(store, {k: v for k, v in row.items() if k != "code"}):
                    closed.append(store)
                updated += 1
            if progress is not None:
                progress(row)
    except DomainError as exc:
        rollback_and_raise(exc)
    except Exception:
        db.session.rollback()
        raise
    commit_then_notify([(STORE_CLOSED, s.id) for s in closed])
    return created, updated
