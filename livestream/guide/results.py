"""Guide (mobile): my campaign results."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("livestream_results", __name__, url_prefix="/m/live", template_folder="../templates")
