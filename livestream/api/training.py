"""Training API: checklist template and completion."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "livestream_training_api", __name__, url_prefix="/api/v1", description="Livestream: training"
)
