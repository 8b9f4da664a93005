"""Accounts, roles, tokens and the tenant scope (knows no business domain)."""

from __future__ import annotations

from flask import Flask

from app.extensions import login_manager, openapi


def init_app(app: Flask) -> None:
    from app.auth import account_views, views
    from app.auth import api as auth_api
    from app.auth.models import HQ_ADMIN
    from app.auth.services import LoginThrottled

    login_manager.login_view = "auth.admin_login"

    @login_manager.user_loader
    def _load(user_id: str):
        """The session's account, only while its server-side record lives (see sessions)."""
        from flask import session

        from app.auth.sessions import load_account, session_user_id

        try:
            wanted = int(user_id)
        except (TypeError, ValueError):
            return None
        if session_user_id() != wanted:
            return None
        user = load_account(wanted)
        if user is None or session.get("tv") != user.token_version:
            return None
        return user

    @app.errorhandler(LoginThrottled)
    def _throttled(exc: LoginThrottled):
        """The error envelope plus ``Retry-After`` (pages flash the message themselves)."""
        from app.errors import envelope

        response, status = envelope(exc.status, exc.message, exc.errors, exc.code)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response, status

    app.register_blueprint(views.bp)
    app.register_blueprint(account_views.bp)
    from app.extensions import add_nav

    # "System" and "Accounts" are translated where pybabel finds them (templates, forms)
    add_nav(
        app, "admin", "System", "Accounts", "account.accounts", (HQ_ADMIN,), icon="users", order=900
    )
    openapi(app).register_blueprint(auth_api.blp)
