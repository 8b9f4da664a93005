"""The post-live review (复盘): figures against targets, leaderboards, charts, CSV."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "livestream_review",
    __name__,
    url_prefix="/admin/live/campaigns",
    template_folder="../templates",
)
