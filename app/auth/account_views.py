"""Account pages: change your own password (``/account/password``), HQ's staff accounts.

``/account/password`` is for every staff role (admin layout, or the phone layout for
guides): the current password is required, the policy applies, and every other session
and token of the account ends while this one stays signed in. ``/admin/accounts`` lets an
HQ admin create accounts, set a password, disable an account or sign it out everywhere.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.forms import ChangePasswordForm, EditAccountForm, NewAccountForm
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ADMIN, STAFF_ROLES, User
from app.auth.schemas import ChangePasswordSchema, EditAccountSchema, NewAccountSchema
from app.auth.services import change_password, create_user, sign_out_everywhere, update_account
from app.errors import DomainError
from app.extensions import db
from app.web.form_input import load_form, put_errors

bp = Blueprint("account", __name__, template_folder="templates")


def _apply_errors(form, exc: DomainError) -> None:
    """Put a schema's or service's field errors on the form's fields (else a flash)."""
    if not put_errors(form, exc):
        flash(exc.message, "error")


@bp.route("/account/password", methods=["GET", "POST"])
@page_roles(*STAFF_ROLES)
def password():
    """Change my password; my other sessions and tokens end, this one goes on."""
    user = db.session.get(User, current_user.id)
    assert user is not None  # the signed-in account
    form = ChangePasswordForm()
    status = 200
    if request.method == "POST":
        try:
            body = load_form(ChangePasswordSchema(user.username), request.form)
            change_password(user, body["current_password"], body["new_password"])
        except DomainError as exc:
            _apply_errors(form, exc)
            status = 422
        else:
            session["tv"] = user.token_version  # this session stays; the others end
            flash(_("Password changed. Your other sessions have been signed out."), "success")
            home = "web.mobile_home" if user.role == GUIDE else "web.admin_home"
            return redirect(url_for(home))
    layout = "mobile/base.html" if user.role == GUIDE else "admin/base.html"
    return render_template("auth/password.html", form=form, layout=layout), status


@bp.route("/admin/accounts")
@page_roles(HQ_ADMIN)
def accounts():
    users = db.session.scalars(select(User).order_by(User.role, User.username).limit(1000)).all()
    return render_template("auth/accounts.html", users=users)


def _account_form(form, user: User | None, schema, checkboxes, action, done: str):
    """HQ's account form: on a post, load it through ``schema`` and run ``action(body)``;
    the schema's and the service's errors show on the form (422)."""
    status = 200
    if request.method == "POST":
        try:
            action(load_form(schema, request.form, checkboxes))
        except DomainError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = 422
        else:
            flash(done, "success")
            return redirect(url_for("account.accounts"))
    return render_template("auth/account_form.html", form=form, user=user), status


@bp.route("/admin/accounts/new", methods=["GET", "POST"])
@page_roles(HQ_ADMIN)
def account_new():
    def create(body: dict) -> None:
        create_user(
            body["username"].strip(),
            body["password"],
            body["role"],
            display_name=body["display_name"].strip(),
            franchisee_id=body["franchisee_id"] if body["role"] == FRANCHISE_OWNER else None,
        )

    form = NewAccountForm()
    return _account_form(form, None, NewAccountSchema(), (), create, _("Account created."))


@bp.route("/admin/accounts/<int:user_id>/edit", methods=["GET", "POST"])
@page_roles(HQ_ADMIN)
def account_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = EditAccountForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.active.data = user.is_active_account

    def save(body: dict) -> None:
        if user.id == current_user.id and not body["active"]:
            raise DomainError(_("You cannot disable your own account."), status=422)
        update_account(
            user,
            display_name=body["display_name"].strip(),
            password=body["password"] or None,
            active=body["active"],
        )

    schema = EditAccountSchema(user.username)
    return _account_form(form, user, schema, ["active"], save, _("Account saved."))


@bp.route("/admin/accounts/<int:user_id>/sign-out", methods=["POST"])
@page_roles(HQ_ADMIN)
def account_sign_out(user_id: int):
    """End every session and API token of the account."""
    user = db.session.get(User, user_id) or abort(404)
    sign_out_everywhere(user)
    if user.id == current_user.id:
        session["tv"] = user.token_version
    flash(_("Every session and token of %(name)s has ended.", name=user.username), "success")
    return redirect(url_for("account.accounts"))
