"""Registration of the training area: the checklists guides finish before a live (the
training API and the HQ "Training" tab)."""

from __future__ import annotations

from flask import Flask

from app.extensions import register_area


def register(app: Flask) -> None:
    """Register the training area on the app."""
    from livestream.admin import training as admin_training
    from livestream.api import training as api_training

    register_area(app, (api_training, admin_training))
