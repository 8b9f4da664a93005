"""Sessions and tokens that end: server-side session records and revoked bearer tokens.

A signed cookie alone cannot be taken back, so each login session carries a random id
(``session["sid"]``) whose record lives in Redis under ``siyu:sess:<sid>`` with the idle
timeout as its TTL. The user loader reads it with one ``GETEX`` (which also slides the
timeout): logout deletes it, so a cookie saved before logout and replayed after finds no
record and gets the login page. The loader then reads the account's columns the pages
need into a ``SessionAccount`` (one Core statement built once). The cookie also carries
the account's ``token_version`` (``session["tv"]``): a password change or HQ disabling the
account bumps it, which ends every session and every staff token of that account with no
Redis key per session.

A bearer token is revoked by its signature (the last dot-separated part, unique per
token): ``siyu:tok:rev:<signature>`` lives as long as a token can. Checking it is one
Redis ``EXISTS``; no database round trip, so mini-program customers' tokens (which carry
no account row) can be revoked too.

Redis unreachable: the check fails open and logs, as the login limiter does: a store
keeps working through a Redis restart, and passwords, signatures and ``token_version``
are still checked.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from functools import cache

import redis
from flask import current_app, session
from flask_login import UserMixin
from sqlalchemy import Select, bindparam, select

from app.auth.models import GUIDE, HQ_ROLES, User
from app.direct_read import read_rows
from app.extensions import db, get_redis
from app.kept import kept
from app.redis_direct import DirectCommands

log = logging.getLogger("siyu.auth")

SESSION_PREFIX = "siyu:sess:"
REVOKED_PREFIX = "siyu:tok:rev:"


def idle_seconds(role: str) -> int:
    """How long a session of this role may sit unused: guides' phones longer than HQ pages."""
    minutes = current_app.config["GUIDE_IDLE_MINUTES" if role == GUIDE else "ADMIN_IDLE_MINUTES"]
    return max(60, int(minutes) * 60)


def start_session(user: User) -> None:
    """Record a new login session for ``user`` (the cookie gets its id, idle and version)."""
    sid = secrets.token_urlsafe(18)
    idle = idle_seconds(user.role)
    session["sid"] = sid
    session["idle"] = idle
    session["tv"] = user.token_version
    try:
        get_redis().set(SESSION_PREFIX + sid, str(user.id), ex=idle)
    except redis.RedisError:
        log.warning("session store unreachable; session %s… not recorded", sid[:6])


def end_session() -> None:
    """Forget this request's session record (logout)."""
    sid = session.get("sid")
    if not isinstance(sid, str):
        return
    try:
        get_redis().delete(SESSION_PREFIX + sid)
    except redis.RedisError:
        log.warning("session store unreachable; session %s… not ended", sid[:6])


def session_user_id() -> int | None:
    """The account id of this request's live session record, sliding its idle timeout.

    ``None`` when the cookie carries no session id, or the record expired or was ended.
    """
    sid = session.get("sid")
    idle = session.get("idle")
    if not isinstance(sid, str) or not isinstance(idle, int):
        return None
    try:
        value = _session_commands().execute("GETEX", SESSION_PREFIX + sid, "EX", max(60, idle))
    except redis.RedisError:
        log.warning("session store unreachable; session %s… not checked", sid[:6])
        return _unchecked()
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _session_commands() -> DirectCommands:
    """The session record's reads on the app's Redis, one command each past redis-py's
    client machinery (``app.redis_direct``: ~0.1 ms of a page's CPU)."""
    client = get_redis()
    return kept(current_app, "siyu_session_commands", client, lambda: DirectCommands(client))


@dataclass(frozen=True)
class SessionAccount(UserMixin):
    """The signed-in account as a page request sees it (``current_user``): the columns the
    pages and the principal read, loaded once a request by one statement built once
    (``load_account``) instead of an ORM ``User``. A view that changes the account loads
    its ``User`` row (``account_views``)."""

    id: int
    username: str
    display_name: str
    role: str
    franchisee_id: int | None
    store_id: int | None
    guide_id: int | None
    is_active_account: bool
    token_version: int

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.is_active_account)

    @property
    def is_hq(self) -> bool:
        return self.role in HQ_ROLES


@cache
def _account_statement() -> Select:
    columns = User.__table__.c
    return select(*(columns[name] for name in SessionAccount.__dataclass_fields__)).where(
        columns.id == bindparam("user_id")
    )


def load_account(user_id: int, alone: bool = True) -> SessionAccount | None:
    """The account's ``SessionAccount``, or ``None`` when there is no such account;
    ``alone``: read outside a transaction (``read_rows``), which saves a page whose reads
    are all sent so its BEGIN and COMMIT; a bearer request's reads that follow open the
    transaction anyway, so it saves them nothing."""
    rows = read_rows(
        db.session.connection(), _account_statement(), {"user_id": user_id}, alone=alone
    )
    return SessionAccount(*rows[0]) if rows else None


def _unchecked() -> int | None:
    """Redis is down: trust the signed cookie's user id (fail open, see the module doc)."""
    raw = session.get("_user_id")
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def token_signature(token: str) -> str:
    """The signature part of a signed token: unique per token, safe as a key."""
    return token.rsplit(".", 1)[-1][:100]


def revoke_token(token: str) -> None:
    """Revoke one bearer token for as long as it could still be accepted."""
    ttl = int(current_app.config["API_TOKEN_MAX_AGE"]) + 60
    get_redis().set(REVOKED_PREFIX + token_signature(token), "1", ex=ttl)


def token_revoked(token: str) -> bool:
    """True when the token was revoked (one Redis ``EXISTS``; fails open when unreachable)."""
    try:
        return bool(get_redis().exists(REVOKED_PREFIX + token_signature(token)))
    except redis.RedisError:
        log.warning("token revocation list unreachable; token not checked")
        return False


def end_all(user: User) -> None:
    """End every session and staff token of ``user`` (the caller commits)."""
    user.token_version = (user.token_version or 0) + 1
