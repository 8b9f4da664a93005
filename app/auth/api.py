"""``/api/v1/auth``: exchange a staff username and password for a bearer token, and end it.

``POST /api/v1/auth/token`` goes through the same login throttle as the login pages;
``POST /api/v1/auth/logout`` revokes the bearer token in use (staff or mini-program
customer), or ends the login session when called with the session and its CSRF token.
"""

from __future__ import annotations

from flask import abort, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth.principal import current_principal, issue_user_token
from app.auth.schemas import TokenRequestSchema
from app.auth.services import authenticate
from app.auth.sessions import end_session, revoke_token

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth", description="Staff tokens")


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    role = fields.String(required=True)


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="Wrong username or password")
@blp.alt_response(429, description="Too many failed attempts; Retry-After says when to retry")
@blp.doc(security=[])
def create_token(body):
    """Issue a bearer token for an HQ, franchise-owner or guide account."""
    user = authenticate(body["username"], body["password"], request.remote_addr)
    return {"access_token": issue_user_token(user), "token_type": "Bearer", "role": user.role}


@blp.route("/logout", methods=["POST"])
@blp.response(204)
@blp.alt_response(401, description="No valid token")
def logout():
    """Revoke the bearer token in use (staff or customer); it is refused from now on."""
    if current_principal() is None:
        abort(401)
    token = g.get("siyu_bearer")
    if token:
        revoke_token(token)
    else:
        from flask import session
        from flask_login import logout_user

        end_session()
        logout_user()
        session.clear()
    return None
