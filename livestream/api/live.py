"""Live API: dashboard figures; mini-program campaign page and visits."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "livestream_live_api", __name__, url_prefix="/api/v1", description="Livestream: live"
)
