"""Campaign API: list (contract), create, read, update, status."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "livestream_campaigns_api", __name__, url_prefix="/api/v1", description="Livestream: campaigns"
)
