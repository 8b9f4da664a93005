"""Customer rules: mini-program login, profile and phone, share codes, HQ reassignment.

``login`` exchanges a ``wx.login`` code (outside any transaction), then finds or
creates the customer by openid / unionid, runs the assignment rules
(``franchise.services.assignment``) and welcomes a new one in one transaction
(``franchise.services.customer_login``). Share codes are unguessable
10-character base32 strings, one per guide and one per store (get-or-create).
"""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import date
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.clock import shanghai_day
from app.errors import Conflict, DomainError, WeChatUnavailable
from app.extensions import db, hooks
from app.wechat.errors import WeChatAPIError, WeChatError
from franchise.models import (
    ACTIVE,
    RULE_MANUAL,
    Customer,
    Franchisee,
    Guide,
    ShareCode,
    Store,
)
from franchise.services import members, settings
from franchise.services.assignment import (
    LiveView,
    Target,
    apply_target,
    binding_holds,
    decide_by_place,
)
from franchise.services.base import invalid
from franchise.services.customer_login import (  # noqa: F401 - callers' names
    CUSTOMER_FIND_COLUMNS,
    LoggedIn,
    share_code_target,
    sign_in,
)

log = logging.getLogger("siyu.franchise")


# After a login commits: ``listener(customer_id, unionid, share_code, read=...)``
# (community links the WeCom contacts with the same unionid, so one person stays one
# customer); ``read``: the ``CUSTOMER_FIND_COLUMNS`` values read with a returning
# customer whose unionid was already stored, else None (``LoggedIn.read``).
CUSTOMER_LOGGED_IN = "franchise.customer_logged_in"


class LoginRefused(DomainError):
    """WeChat refused the login code (invalid, used or expired)."""

    status = 401
    code = "invalid_code"


# --- share codes --------------------------------------------------------------------


def new_code() -> str:
    """10 random base32 characters (50 bits): unguessable, easy to read aloud."""
    return base64.b32encode(secrets.token_bytes(10)).decode()[:10]


def _get_or_create_code(
    kind: str, store: Store, guide: Guide | None, campaign_id: int | None = None
) -> ShareCode:
    """The first code of ``kind`` for ``store``, ``guide`` (or none) and ``campaign_id``
    (or none), created on first use (commits; a colliding random code is drawn again
    once)."""
    stmt = select(ShareCode).where(ShareCode.kind == kind, ShareCode.store_id == store.id)
    stmt = stmt.where(ShareCode.guide_id == guide.id if guide else ShareCode.guide_id.is_(None))
    stmt = stmt.where(
        ShareCode.campaign_id == campaign_id if campaign_id else ShareCode.campaign_id.is_(None)
    )
    found = db.session.scalars(stmt.order_by(ShareCode.id)).first()
    if found is not None:
        return found
    fields = {
        "kind": kind,
        "franchisee_id": store.franchisee_id,
        "store_id": store.id,
        "guide_id": guide.id if guide else None,
        "campaign_id": campaign_id,
    }
    code = ShareCode(code=new_code(), **fields)
    db.session.add(code)
    try:
        db.session.commit()
    except IntegrityError:  # a colliding random code: try once more
        db.session.rollback()
        code = ShareCode(code=new_code(), **fields)
        db.session.add(code)
        db.session.commit()
    return code


def guide_share_code(guide: Guide, campaign_id: int | None = None) -> ShareCode:
    """The guide's own share code, or their code for a live campaign (created on first
    use, at the guide's current store)."""
    return _get_or_create_code("guide", guide.store, guide, campaign_id)


def store_share_code(store: Store) -> ShareCode:
    """The store's QR scene code (created on first use)."""
    return _get_or_create_code("store", store, None)


# --- assignment of one customer -------------------------------------------------------


def assign_one(customer: Customer, share_code: str | None = None, view=None) -> bool:
    """Apply rules 1–5 to ``customer`` (new or existing) without committing."""
    target = share_code_target(share_code)
    if target is None:
        if customer.id is not None and binding_holds(customer, settings.lock_days()):
            return False
        target = decide_by_place(
            view or LiveView(), customer.latitude, customer.longitude, customer.city
        )
    return apply_target(customer, target, reason="mini-program login")


def login(
    code: str, share_code=None, latitude=None, longitude=None, city=None
) -> tuple[LoggedIn, bool]:
    """Log a customer in with a ``wx.login`` code; returns ``(customer as written,
    created)``. The code is exchanged outside any transaction; the customer is found or
    made, assigned and (when new) welcomed in one (``customer_login.sign_in``)."""
    from app.wechat.miniprogram import code_to_session

    db.session.rollback()  # no transaction open while WeChat answers
    try:
        identity = code_to_session(code)
    except WeChatAPIError as exc:
        raise LoginRefused("The login code is invalid or was already used.") from exc
    except WeChatError as exc:
        raise WeChatUnavailable("WeChat is not reachable; try again.") from exc
    for attempt in range(2):
        try:
            customer = sign_in(identity, share_code, latitude, longitude, city)
        except IntegrityError:
            db.session.rollback()  # a concurrent first login created the row; find it
            if attempt:
                raise Conflict("Concurrent login; try again.") from None
            continue
        _after_login(customer, share_code)
        return customer, customer.created
    raise AssertionError("unreachable")


def _after_login(customer: LoggedIn, share_code) -> None:
    """Tell the listeners of ``CUSTOMER_LOGGED_IN`` (after the commit); a failing one is
    logged, never the login's failure."""
    for listener in list(hooks(CUSTOMER_LOGGED_IN)):
        try:
            listener(customer.id, customer.unionid, share_code, read=customer.read)
        except Exception:  # noqa: BLE001 - the login is committed; report and go on
            log.exception("login listener %r failed for customer %s", listener, customer.id)


# --- profile ----------------------------------------------------------------------------

PROFILE_FIELDS = frozenset({"nickname", "birthday", "city"})


def update_profile(customer: Customer, changes: dict) -> Customer:
    """The customer edits their nickname, birthday or city (nothing else)."""
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise invalid(sorted(unknown)[0], "Unknown field.")
    birthday = changes.get("birthday")
    if isinstance(birthday, date) and not date(1900, 1, 1) <= birthday <= shanghai_day():
        raise invalid("birthday", "Not a plausible birthday.")
    for key, value in changes.items():
        setattr(customer, key, value)
    members.reward_completed_profile(customer)  # --- members: once, when all are filled
    db.session.commit()
    return customer


def bind_phone(customer: Customer, phone_code: str) -> Customer:
    """Store the phone number behind a ``getPhoneNumber`` code."""
    from app.wechat.miniprogram import get_user_phone_number

    customer_id = customer.id
    db.session.rollback()
    try:
        info = get_user_phone_number(phone_code)
    except WeChatAPIError as exc:
        raise invalid("code", "The phone code is invalid or was already used.") from exc
    except WeChatError as exc:
        raise WeChatUnavailable("WeChat is not reachable; try again.") from exc
    customer = cast(Customer, db.session.get(Customer, customer_id))  # the caller's own row
    customer.phone = str(info.get("purePhoneNumber") or info.get("phoneNumber"))[:20]
    members.reward_completed_profile(customer)  # --- members: once, when all are filled
    db.session.commit()
    return customer


# --- HQ reassignment --------------------------------------------------------------------


def reassign(
    customer: Customer,
    franchisee_id: int,
    store_id=None,
    guide_id=None,
    *,
    reason: str,
    actor_user_id=None,
) -> Customer:
    """HQ moves a customer by hand; the store must be the franchisee's, the guide the store's."""
    try:
        if not reason or not reason.strip():
            raise invalid("reason", "A reason is required.")
        franchisee = db.session.get(Franchisee, franchisee_id)
        if franchisee is None or franchisee.status != ACTIVE:
            raise invalid("franchisee_id", "No such active franchisee.")
        store = db.session.get(Store, store_id) if store_id is not None else None
        if store_id is not None and (store is None or store.franchisee_id != franchisee.id):
            raise invalid("store_id", "The store does not belong to that franchisee.")
        if store is not None and not store.is_open:
            raise invalid("store_id", "The store is closed.")
        guide = db.session.get(Guide, guide_id) if guide_id is not None else None
        if guide_id is not None:
            if store is None:
                raise invalid("guide_id", "Choose the guide's store too.")
            if guide is None or guide.store_id != store.id:
                raise invalid("guide_id", "The guide does not work in that store.")
            if guide.status != ACTIVE:
                raise invalid("guide_id", "The guide has left.")
        if store is None:
            store_id = LiveView().least_loaded_store(franchisee.id)
        target = Target(franchisee.id, store_id, guide_id, RULE_MANUAL)
        apply_target(customer, target, actor_user_id=actor_user_id, reason=reason.strip())
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return customer
