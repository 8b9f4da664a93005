"""The account forms' schemas: what a posted account page may hold.

The login pages and ``POST /api/v1/auth/token`` take ``TokenRequestSchema``;
``/account/password`` and HQ's ``/admin/accounts`` pages load what is posted through
these (``app.web.form_input.load_form``), the one input path the API's schemas take;
``app.auth.forms`` only renders and guards CSRF. A password is checked by the one policy
(``app.auth.passwords.policy_errors``) with the account's username, which a field cannot
see, so the check is the schema's: the username is the form's own field (a new account)
or the account's, given when the schema is made.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.auth.models import FRANCHISE_OWNER, STAFF_ROLES
from app.auth.passwords import MAX_LENGTH, policy_errors
from app.schemas import Text, body_id
from app.web.i18n import N_

NAME = validate.Length(max=64)


class TokenRequestSchema(Schema):
    """Sign in: the API's token request and the login pages' form."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


def _refuse(errors: dict[str, list[str]]) -> None:
    """Raise every field's errors at once (none: nothing to raise)."""
    if any(errors.values()):
        raise ValidationError({k: v for k, v in errors.items() if v})


def _policy_errors(data: dict, key: str, username: str | None) -> list[str]:
    """The policy's complaints about ``data[key]`` (none when it was not given)."""
    return [] if data.get(key) is None else policy_errors(data[key], username)


class AccountSchema(Schema):
    """A form about an existing account, whose username the password check needs."""

    def __init__(self, username: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.username = username


class ChangePasswordSchema(AccountSchema):
    """Change my own password: the current one, the new one twice."""

    current_password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTH))
    new_password = fields.String(required=True)
    confirm = fields.String(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _policy(self, data: dict, **kwargs) -> None:
        differ = data.get("confirm") != data.get("new_password")
        _refuse(
            {
                "new_password": _policy_errors(data, "new_password", self.username),
                "confirm": [N_("The passwords differ.")] if differ else [],
            }
        )


class NewAccountSchema(Schema):
    """HQ creates a staff account; a franchise owner names the franchisee they run."""

    username = Text(required=True, validate=validate.Length(min=1, max=64))
    display_name = Text(load_default="", validate=NAME)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    franchisee_id = body_id(allow_none=True, load_default=None)
    password = fields.String(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _policy(self, data: dict, **kwargs) -> None:
        owner = data.get("role") == FRANCHISE_OWNER
        _refuse(
            {
                "password": _policy_errors(data, "password", data.get("username")),
                "franchisee_id": [N_("A franchise owner needs the franchisee.")]
                if owner and not data.get("franchisee_id")
                else [],
            }
        )


class EditAccountSchema(AccountSchema):
    """HQ edits an account: the display name, a new password (blank: unchanged), whether
    it may sign in."""

    display_name = Text(load_default="", validate=NAME)
    password = fields.String(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=False)
    def _policy(self, data: dict, **kwargs) -> None:
        _refuse({"password": _policy_errors(data, "password", self.username)})
