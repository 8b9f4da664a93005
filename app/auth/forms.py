"""Account forms (Flask-WTF, with CSRF): login, change own password, HQ's account forms.

Every form that sets a password checks it with ``app.auth.passwords.policy_errors``, the
same rule ``flask siyu create-user`` and the services apply.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.auth.models import ROLE_LABELS, STAFF_ROLES
from app.auth.passwords import MAX_LENGTH, policy_errors


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class StrongPassword:
    """WTForms validator: the password policy, with the username from ``username_field``
    (or the form's ``account_username`` attribute when the username is not a field)."""

    def __init__(self, username_field: str | None = None):
        self.username_field = username_field

    def __call__(self, form, field):
        if not field.data:
            return
        username = getattr(form, "account_username", None)
        if self.username_field:
            username = getattr(form, self.username_field).data
        errors = policy_errors(field.data, username)
        if errors:
            raise ValidationError(" ".join(errors))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", _l("The passwords differ."))],
    )


def _role_choices():
    return [(role, _l(ROLE_LABELS[role])) for role in STAFF_ROLES]


class NewAccountForm(FlaskForm):
    """HQ creates a staff account."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=64)])
    role = SelectField(_l("Role"), choices=_role_choices, validators=[DataRequired()])
    franchisee_id = IntegerField(
        _l("Franchisee ID"),
        validators=[Optional()],
        description=_l("Franchise owners only: the franchisee they run."),
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), StrongPassword("username")]
    )


class EditAccountForm(FlaskForm):
    """HQ edits an account: a new password (blank = unchanged) or disabling it ends every
    session and token of the account."""

    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=64)])
    password = PasswordField(
        _l("New password"),
        validators=[Optional(), StrongPassword()],
        description=_l("Leave blank to keep the current password."),
    )
    active = BooleanField(_l("Can sign in"))
