"""Session login pages for the admin UI (``/admin/login``) and the mobile UI (``/m/login``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from app.auth.forms import LoginForm
from app.auth.models import ADMIN_UI_ROLES, GUIDE
from app.auth.schemas import TokenRequestSchema
from app.auth.services import LoginRefused, LoginThrottled, authenticate
from app.auth.sessions import end_session, start_session
from app.web.form_input import FormInvalid, load_form, put_errors

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``.

    Refused: anything absolute or protocol-relative (``//host``, ``/\\host``, a scheme),
    and any control character, backslash or whitespace, which browsers strip or turn
    into slashes and which would break the ``Location`` header (a 500 before).
    """
    target = target or ""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or len(target) > 2000:
        return default
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return default
    try:
        parts = urlsplit(target)
    except ValueError:
        return default
    if parts.scheme or parts.netloc:
        return default
    return target


def _safe_next(default: str) -> str:
    return safe_next(request.args.get("next"), default)


def _login(template: str, allowed_roles: tuple[str, ...], home: str):
    form = LoginForm()
    if request.method != "POST":
        return render_template(template, form=form)
    try:
        body = load_form(TokenRequestSchema(), request.form)  # the token API's schema
        user = authenticate(body["username"], body["password"], request.remote_addr)
    except FormInvalid as exc:
        put_errors(form, exc)
        status = 400
    except LoginThrottled as exc:
        flash(exc.message, "error")
        response = make_response(render_template(template, form=form), 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except LoginRefused:
        flash(_("Wrong username or password."), "error")
        status = 401
    else:
        if user.role in allowed_roles:
            session.clear()
            login_user(user)
            start_session(user)
            if user.locale:
                session["locale"] = user.locale
            return redirect(_safe_next(url_for(home)))
        flash(_("This account cannot sign in here."), "error")
        status = 403
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
    end_session()
    logout_user()
    session.clear()
    return redirect(url_for("auth.mobile_login" if mobile else "auth.admin_login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    from flask import current_app

    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
    return redirect(_safe_next(request.referrer or url_for("web.admin_home")))
