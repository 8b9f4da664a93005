"""Account forms (Flask-WTF, with CSRF): login, change own password, HQ's account forms.

The forms render and guard CSRF only: what they post is loaded through
``app.auth.schemas`` (``app.web.form_input.load_form``), whose password check is
``app.auth.passwords.policy_errors``, the same rule ``flask siyu create-user`` and the
services apply.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField

from app.auth.models import STAFF_ROLES
from app.web.form_input import RequiredMark
from app.web.labels import words


class LoginForm(FlaskForm):
    """Renders the login pages; ``TokenRequestSchema`` (the token API's) checks them."""

    username = StringField(_l("Username"))
    password = PasswordField(_l("Password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[RequiredMark()])
    new_password = PasswordField(_l("New password"), validators=[RequiredMark()])
    confirm = PasswordField(_l("New password again"), validators=[RequiredMark()])


def _role_choices():
    return [(role, words("role")[role]) for role in STAFF_ROLES]


class NewAccountForm(FlaskForm):
    """HQ creates a staff account."""

    username = StringField(_l("Username"), validators=[RequiredMark()])
    display_name = StringField(_l("Display name"))
    role = SelectField(
        _l("Role"), choices=_role_choices, validators=[RequiredMark()], validate_choice=False
    )
    franchisee_id = StringField(
        _l("Franchisee ID"),
        description=_l("Franchise owners only: the franchisee they run."),
        render_kw={"inputmode": "numeric"},
    )
    password = PasswordField(_l("Password"), validators=[RequiredMark()])


class EditAccountForm(FlaskForm):
    """HQ edits an account: a new password (blank = unchanged) or disabling it ends every
    session and token of the account."""

    display_name = StringField(_l("Display name"))
    password = PasswordField(
        _l("New password"), description=_l("Leave blank to keep the current password.")
    )
    active = BooleanField(_l("Can sign in"))
