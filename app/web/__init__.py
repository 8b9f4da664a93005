"""The web shell: layouts, navigation, template filters, static assets, SVG charts."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, GUIDE

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


@bp.route("/admin/")
@page_roles(*ADMIN_UI_ROLES)
def admin_home():
    return render_template("web/admin_home.html")


@bp.route("/m/")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def mobile_home():
    return render_template("web/mobile_home.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
