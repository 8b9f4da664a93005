"""Account rules: authenticate under the login throttle, create accounts, change passwords.

Services own the transaction: they commit or roll back; views never commit.
"""

from __future__ import annotations

from flask_babel import ngettext
from sqlalchemy import select

from app.auth import ratelimit
from app.auth.models import STAFF_ROLES, User
from app.auth.passwords import check_password_policy
from app.auth.sessions import end_all
from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from app.i18n import tr


class LoginRefused(DomainError):
    status = 401
    code = "invalid_credentials"


class LoginThrottled(DomainError):
    """Too many failed attempts; ``retry_after`` says in how many seconds to try again."""

    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            tr("Too many failed sign-ins; try again in %(wait)s.", wait=wait_text(retry_after)),
            errors={"retry_after": self.retry_after},
        )


def wait_text(seconds: int) -> str:
    """ "3 minutes" / "45 seconds" in the request's language (rounded up to minutes past 1)."""
    seconds = max(1, int(seconds))
    if seconds < 60:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    minutes = (seconds + 59) // 60
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def authenticate(username: str, password: str, remote_addr: str | None) -> User:
    """Check a username and password under the login throttle (``app.auth.ratelimit``)."""
    username = (username or "").strip()
    address = remote_addr or "-"
    wait = ratelimit.retry_after(username, address)
    if wait:
        raise LoginThrottled(wait)
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.is_active or not user.check_password(password or ""):
        ratelimit.record_failure(username, address)
        raise LoginRefused("Wrong username or password.")
    ratelimit.record_success(username, address)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> User:
    """The user changes their own password: every other session and token ends."""
    if not user.check_password(current or ""):
        raise DomainError(
            "The current password is wrong.",
            code="invalid_credentials",
            status=422,
            errors={"current_password": [tr("The current password is wrong.")]},
        )
    check_password_policy(new, user.username, field="new_password")
    user.set_password(new)
    end_all(user)
    db.session.commit()
    return user


def update_account(
    user: User, *, display_name: str | None, password: str | None, active: bool
) -> User:
    """HQ edits an account. A new password or disabling it ends every session and token."""
    if password:
        check_password_policy(password, user.username)
        user.set_password(password)
        end_all(user)
    if display_name:
        user.display_name = display_name
    if user.is_active_account and not active:
        end_all(user)
    user.is_active_account = bool(active)
    db.session.commit()
    return user


def sign_out_everywhere(user: User) -> User:
    """End every session and staff token of ``user`` (HQ's button, or a lost phone)."""
    end_all(user)
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
    check_policy: bool = True,
) -> User:
    """Create a staff account with a hashed password (the password policy unless told not)."""
    if check_policy:
        check_password_policy(password, username)
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
