"""Guide (mobile): my campaign share link and poster."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("livestream_share", __name__, url_prefix="/m/live", template_folder="../templates")
