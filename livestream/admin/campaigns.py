"""HQ campaign pages: list, wizard, detail with the timeline status board."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "livestream_campaigns",
    __name__,
    url_prefix="/admin/live/campaigns",
    template_folder="../templates",
)
