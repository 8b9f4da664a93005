"""Targets editor and reward / penalty rules of a campaign."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "livestream_targets",
    __name__,
    url_prefix="/admin/live/campaigns",
    template_folder="../templates",
)
