"""Review API: a campaign's figures against targets."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "livestream_review_api", __name__, url_prefix="/api/v1", description="Livestream: review"
)
