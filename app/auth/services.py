"""Account rules: authenticate with the login rate limit, create accounts, issue tokens.

Services own the transaction: they commit or roll back; views never commit.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.auth import ratelimit
from app.auth.models import STAFF_ROLES, User, utcnow
from app.errors import DomainError
from app.extensions import db


class LoginRefused(DomainError):
    status = 401
    code = "invalid_credentials"


class LoginThrottled(DomainError):
    status = 429
    code = "rate_limited"


def authenticate(username: str, password: str, remote_addr: str | None) -> User:
    """Check a username and password, under the per-address and per-account rate limit."""
    limit = current_app.config["LOGIN_RATE_LIMIT"]
    window = current_app.config["LOGIN_RATE_WINDOW"]
    username = (username or "").strip()
    for key in (f"login:addr:{remote_addr or '-'}", f"login:user:{username.lower()}"):
        if not ratelimit.hit(key, limit, window):
            raise LoginThrottled("Too many login attempts; wait a few minutes and try again.")
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.is_active or not user.check_password(password or ""):
        raise LoginRefused("Wrong username or password.")
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    franchisee_id: int | None = None,
    store_id: int | None = None,
    guide_id: int | None = None,
    commit: bool = True,
) -> User:
    """Create a staff account with a hashed password."""
    if role not in STAFF_ROLES:
        raise DomainError(f"Unknown role {role!r}", code="invalid_role", status=422)
    if db.session.scalars(select(User).where(User.username == username)).first():
        raise DomainError("That username is taken.", code="username_taken", status=409)
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        franchisee_id=franchisee_id,
        store_id=store_id,
        guide_id=guide_id,
    )
    user.set_password(password)
    db.session.add(user)
    if commit:
        db.session.commit()
    return user
