"""Access decorators for pages (session login) and API endpoints (bearer tokens)."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for

from app.auth.principal import current_principal


def api_roles(*roles: str):
    """API endpoint for the given roles: 401 without a valid token, 403 for other roles."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                abort(401)
            if roles and principal.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def page_roles(*roles: str, login_endpoint: str = "auth.admin_login"):
    """Page for the given roles: to the login page when signed out, 403 for other roles."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                return redirect(url_for(login_endpoint, next=request.full_path))
            if roles and principal.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
