"""The staff password policy: one function every way of setting a password goes through.

At least ``MIN_LENGTH`` characters, not the username, not one of the common passwords
shipped in ``common_passwords.txt`` (compared without case). ``flask siyu create-user``,
HQ's account forms and the change-password page all call ``check_password_policy``;
``PasswordPolicy`` is the same rule as a marshmallow validator and ``policy_errors`` as
plain messages (the account forms' schemas, ``app.auth.schemas``, which know the
username). Only the embedded demo seeder skips it (``siyu-demo``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from marshmallow import ValidationError
from marshmallow.validate import Validator

from app.errors import DomainError
from app.i18n import tr
from app.web.i18n import N_

MIN_LENGTH = 10
MAX_LENGTH = 128
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


POLICY_MESSAGE = N_("The password does not meet the password rules.")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased (comments and blank lines skipped)."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip().casefold() for x in lines if x.strip() and not x.startswith("#"))


def policy_errors(password: str | None, username: str | None = None) -> list[str]:
    """The policy's complaints about ``password`` (translated); empty when it is acceptable."""
    password = password or ""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(tr("Use at least %(num)d characters.", num=MIN_LENGTH))
    elif len(password) > MAX_LENGTH:
        errors.append(tr("Use at most %(num)d characters.", num=MAX_LENGTH))
    if username and password.strip().casefold() == username.strip().casefold():
        errors.append(tr("The password must not be the username."))
    if password.strip().casefold() in common_passwords():
        errors.append(tr("This password is too common; choose another."))
    return errors


def check_password_policy(password: str | None, username: str | None, field="password") -> None:
    """Raise a 422 ``DomainError`` naming ``field`` when the password breaks the policy."""
    errors = policy_errors(password, username)
    if errors:
        raise DomainError(
            POLICY_MESSAGE,
            code="weak_password",
            status=422,
            errors={field: errors},
        )


class PasswordPolicy(Validator):
    """The policy as a marshmallow validator (the username is not known to a field)."""

    def __call__(self, value: str) -> str:
        errors = policy_errors(value)
        if errors:
            raise ValidationError(errors)
        return value
