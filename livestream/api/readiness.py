"""Readiness API: gate (contract), override, link checks."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "livestream_readiness_api", __name__, url_prefix="/api/v1", description="Livestream: readiness"
)
