"""Guide (mobile): my campaigns and my training checklist."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("livestream_guide", __name__, url_prefix="/m/live", template_folder="../templates")
