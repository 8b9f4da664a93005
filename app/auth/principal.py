"""Who is asking: one ``Principal`` for session users, API tokens and mini-program customers.

Bearer tokens are signed (itsdangerous) and carry the subject; staff tokens are checked
against the account's ``token_version`` so disabling an account or changing its password
revokes its tokens, and any single token can be revoked in Redis (``app.auth.sessions``).

On ``/api/`` a session cookie alone authorises only safe methods (GET, HEAD, OPTIONS): a
state-changing call must carry a bearer token or the session's CSRF token in the
``X-CSRFToken`` header, so a cross-origin form post riding an admin's cookie gets 401.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf
from itsdangerous import BadSignature, SignatureExpired

from app.auth.models import CUSTOMER, HQ_ROLES, User
from app.auth.sessions import SessionAccount, load_account, token_revoked
from app.context import app_now
from app.kept import kept
from app.signing import KeptSignerSerializer

TOKEN_SALT = "siyu.api-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSET = object()


@dataclass(frozen=True)
class Principal:
    """The caller's role and scope keys (franchisee / store / guide / customer)."""

    role: str
    user_id: int | None = None
    franchisee_id: int | None = None
    store_id: int | None = None
    guide_id: int | None = None
    customer_id: int | None = None

    @property
    def is_hq(self) -> bool:
        return self.role in HQ_ROLES

    @classmethod
    def of_user(cls, user: User | SessionAccount) -> Principal:
        return cls(user.role, user.id, user.franchisee_id, user.store_id, user.guide_id)


def _serializer() -> KeptSignerSerializer:
    """The bearer tokens' serializer, built once per secret key (it was built for every
    token issued or read; it keeps no state between calls, so threads share it)."""
    app = app_now()
    key = app.config["SECRET_KEY"]
    return kept(app, _SERIALIZER, key, lambda: KeptSignerSerializer(key, salt=TOKEN_SALT))


_SERIALIZER = "siyu_token_serializer"  # app.extensions key: (secret key, serializer)
_VERIFIED = (
    "siyu_verified_tokens"  # app.extensions key: (secret key, {token: (payload, signed at)})
)
MAX_VERIFIED = 10_000  # tokens whose signature this process remembers; past it, forgets all


def _verified(token: str, max_age: int) -> Any:
    """The token's payload, as the serializer's ``loads(token, max_age=max_age)`` gives it
    (``BadSignature`` / ``SignatureExpired`` alike). A token's signature and payload are
    fixed by the token and the secret key, so each token is checked (HMAC, base64, JSON)
    the first time this process sees it and remembered with the time it was signed; its
    age is checked on every call, with itsdangerous's rule (older than ``max_age`` or
    signed in the future: expired). Only well-signed tokens are remembered."""
    app = app_now()
    key = app.config["SECRET_KEY"]
    known: dict[str, tuple[Any, int]] = kept(app, _VERIFIED, key, dict)
    found = known.get(token)
    if found is None:
        payload, signed = _serializer().loads(token, max_age=max_age, return_timestamp=True)
        found = (payload, int(signed.timestamp()))
        if len(known) >= MAX_VERIFIED:
            known.clear()
        known[token] = found
    payload, signed_at = found
    age = int(time.time()) - signed_at
    if age > max_age or age < 0:
        raise SignatureExpired("Signature expired", payload=payload)
    return payload


def issue_user_token(user: User) -> str:
    """A bearer token for a staff account."""
    return _serializer().dumps({"u": user.id, "v": user.token_version})


def issue_customer_token(customer_id: int, franchisee_id: int | None = None) -> str:
    """A bearer token for a mini-program customer."""
    return _serializer().dumps({"c": customer_id})


def principal_from_token(token: str) -> Principal | None:
    """Decode a bearer token; ``None`` when it is forged, expired or revoked."""
    try:
        data = _verified(token, current_app.config["API_TOKEN_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or token_revoked(token):
        return None
    if "c" in data and isinstance(data["c"], int):
        return Principal(CUSTOMER, customer_id=data["c"])
    user_id = data.get("u")
    if not isinstance(user_id, int):
        return None
    # one Core statement built once, not an ORM User; in the request's transaction
    account = load_account(user_id, alone=False)
    if account is None or not account.is_active or account.token_version != data.get("v"):
        return None
    return Principal.of_user(account)


def required_principal() -> Principal:
    """The principal of a request a role decorator has already let through (401 if none)."""
    principal = current_principal()
    if principal is None:
        from werkzeug.exceptions import Unauthorized

        raise Unauthorized()
    return principal


def current_principal() -> Principal | None:
    """The principal of this request: bearer token first, then the login session."""
    principal = g.get("siyu_principal", _UNSET)  # one look-up through the proxy, not two
    if principal is not _UNSET:
        return principal
    principal = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.siyu_bearer = header[7:].strip()
        principal = principal_from_token(g.siyu_bearer)
    elif _session_may_act():
        user = current_user._get_current_object()  # once, not a proxy hop per attribute
        if user and user.is_authenticated:
            principal = Principal.of_user(user)
    g.siyu_principal = principal
    return principal


def _session_may_act() -> bool:
    """Whether the login session may authorise this request (see the module doc)."""
    if request.method in SAFE_METHODS or not request.path.startswith("/api/"):
        return True
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except ValidationError:
        return False
    return True
