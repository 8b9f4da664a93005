"""Session login pages for the admin UI (``/admin/login``) and the mobile UI (``/m/login``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from app.auth.forms import LoginForm
from app.auth.models import ADMIN_UI_ROLES, GUIDE
from app.auth.services import LoginRefused, LoginThrottled, authenticate

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    target = request.args.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not parts.netloc and not target.startswith("//"):
        return target
    return default


def _login(template: str, allowed_roles: tuple[str, ...], home: str):
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr)
        except LoginThrottled:
            flash(_("Too many login attempts; wait a few minutes and try again."), "error")
            status = 429
        except LoginRefused:
            flash(_("Wrong username or password."), "error")
            status = 401
        else:
            if user.role not in allowed_roles:
                flash(_("This account cannot sign in here."), "error")
                status = 403
            else:
                session.clear()
                login_user(user)
                if user.locale:
                    session["locale"] = user.locale
                return redirect(_safe_next(url_for(home)))
    elif request.method == "POST":
        status = 400
    return render_template(template, form=form), status


@bp.route("/admin/login", methods=["GET", "POST"])
def admin_login():
    return _login("auth/admin_login.html", ADMIN_UI_ROLES, "web.admin_home")


@bp.route("/m/login", methods=["GET", "POST"])
def mobile_login():
    return _login("auth/mobile_login.html", (GUIDE,), "web.mobile_home")


@bp.route("/logout", methods=["POST"])
def logout():
    mobile = request.form.get("mobile") == "1"
    logout_user()
    session.clear()
    return redirect(url_for("auth.mobile_login" if mobile else "auth.admin_login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    from flask import current_app

    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
    return redirect(_safe_next(request.referrer or url_for("web.admin_home")))
