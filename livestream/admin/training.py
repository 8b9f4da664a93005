"""Training: the checklist template editor and the completion board."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "livestream_training",
    __name__,
    url_prefix="/admin/live/campaigns",
    template_folder="../templates",
)
