"""The readiness gate (with override) and the link check report."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "livestream_readiness",
    __name__,
    url_prefix="/admin/live/campaigns",
    template_folder="../templates",
)
