"""The live dashboard: GMV, orders and viewers against targets, refreshing."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "livestream_live", __name__, url_prefix="/admin/live/campaigns", template_folder="../templates"
)
