"""Accounts, roles, tokens and the tenant scope (knows no business domain)."""

from __future__ import annotations

from flask import Flask

from app.extensions import api as openapi
from app.extensions import db, login_manager


def init_app(app: Flask) -> None:
    from app.auth import api as auth_api
    from app.auth import views
    from app.auth.models import User

    login_manager.login_view = "auth.admin_login"

    @login_manager.user_loader
    def _load(user_id: str):
        try:
            return db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None

    app.register_blueprint(views.bp)
    openapi.register_blueprint(auth_api.blp)
