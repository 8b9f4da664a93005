"""``POST /api/v1/auth/token``: exchange a staff username and password for a bearer token."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.principal import issue_user_token
from app.auth.services import authenticate

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth", description="Staff tokens")


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    role = fields.String(required=True)


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="Wrong username or password")
@blp.alt_response(429, description="Too many attempts")
@blp.doc(security=[])
def create_token(body):
    """Issue a bearer token for an HQ, franchise-owner or guide account."""
    user = authenticate(body["username"], body["password"], request.remote_addr)
    return {"access_token": issue_user_token(user), "token_type": "Bearer", "role": user.role}
