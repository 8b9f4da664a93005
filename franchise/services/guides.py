"""Guide rules: an open store, a WeCom member from the directory linked to no other guide,
the linked account, leaving."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import GUIDE, User
from app.clock import utcnow
from app.extensions import db
from franchise.models import ACTIVE, LEFT, Guide, Store
from franchise.services.base import (
    GUIDE_LEFT,
    STORE_GUIDES_CHANGED,
    committed,
    get_or_invalid,
    invalid,
    sync_guide_user,
    taken,
)
from franchise.services.wecom_members import check_member

# --- guides -----------------------------------------------------------------------


def _link_user(guide: Guide, user_id: int | None) -> None:
    if user_id is None:
        guide.user_id = None
        return
    user = get_or_invalid(User, user_id, "user_id")
    if user.role != GUIDE:
        raise invalid("user_id", "The account is not a guide account.")
    other = db.session.scalars(
        select(Guide.id).where(Guide.user_id == user_id, Guide.id != guide.id)
    ).first()
    if other is not None:
        raise taken("user_id", "account")
    guide.user_id = user_id


def _open_store(store_id: int) -> Store:
    store = get_or_invalid(Store, store_id, "store_id")
    if not store.is_open:
        raise invalid("store_id", "The store is closed.")
    return store


def create_guide(data: dict) -> Guide:
    """Create a guide in an open store; the franchisee is the store's."""
    with committed() as after:
        store = _open_store(data["store_id"])
        check_member(data["wecom_userid"])
        guide = Guide(
            store_id=store.id,
            franchisee_id=store.franchisee_id,
            name=data["name"],
            phone=data.get("phone", ""),
            wecom_userid=data["wecom_userid"],
        )
        db.session.add(guide)
        db.session.flush()
        _link_user(guide, data.get("user_id"))
        sync_guide_user(guide)
        after.append((STORE_GUIDES_CHANGED, guide.store_id))
    return guide


def _set_guide_status(guide: Guide, status: str) -> bool:
    """Record a departure or a return; True when the guide just left."""
    user = db.session.get(User, guide.user_id) if guide.user_id else None
    if status == LEFT and guide.status != LEFT:
        guide.status = LEFT
        guide.left_at = utcnow()
        if user is not None:  # a guide who left cannot sign in; their tokens die
            user.is_active_account = False
            user.token_version += 1
        return True
    if status == ACTIVE and guide.status != ACTIVE:
        guide.status = ACTIVE
        guide.left_at = None
        if user is not None:
            user.is_active_account = True
    return False


def update_guide(guide: Guide, changes: dict) -> Guide:
    """HQ changes a guide: a new store moves the franchisee too; ``status="left"`` = left.
    After the commit, ``GUIDE_LEFT`` for a departure and ``STORE_GUIDES_CHANGED`` for each
    store whose active guides changed (the old and the new store of a move)."""
    before = (guide.store_id, guide.status, guide.wecom_userid)
    with committed() as after:
        if "store_id" in changes and changes["store_id"] != guide.store_id:
            store = _open_store(changes["store_id"])
            guide.store_id = store.id
            guide.franchisee_id = store.franchisee_id
        if "wecom_userid" in changes and changes["wecom_userid"] != guide.wecom_userid:
            check_member(changes["wecom_userid"], guide.id)
            guide.wecom_userid = changes["wecom_userid"]
        for key in ("name", "phone"):
            if key in changes:
                setattr(guide, key, changes[key])
        if "user_id" in changes:
            old_user = db.session.get(User, guide.user_id) if guide.user_id else None
            _link_user(guide, changes["user_id"])
            if old_user is not None and old_user.id != guide.user_id:
                old_user.guide_id = old_user.store_id = old_user.franchisee_id = None
        if "status" in changes and _set_guide_status(guide, changes["status"]):
            after.append((GUIDE_LEFT, guide.id))
        sync_guide_user(guide)
        if (guide.store_id, guide.status, guide.wecom_userid) != before:
            stores = dict.fromkeys((before[0], guide.store_id))
            after.extend((STORE_GUIDES_CHANGED, store_id) for store_id in stores)
    return guide


def guide_leaves(guide: Guide) -> Guide:
    """Record that a guide left (status ``left``, ``left_at`` now); runs the ``GUIDE_LEFT`` hook."""
    return update_guide(guide, {"status": LEFT})
