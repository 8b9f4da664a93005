r"""Registration of the targets area: the targets cascade and its reward / penalty rules
(the targets API and the HQ "Targets \& rules" tab)."""

from __future__ import annotations

from flask import Flask

from app.extensions import register_area


def register(app: Flask) -> None:
    """Register the targets area on the app."""
    from livestream.admin import targets as admin_targets
    from livestream.api import targets as api_targets

    register_area(app, (api_targets, admin_targets))
