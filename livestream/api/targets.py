"""Targets API: read and set a campaign's targets and rules."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "livestream_targets_api", __name__, url_prefix="/api/v1", description="Livestream: targets"
)
