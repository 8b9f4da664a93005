"""Registration of the review (复盘) area: figures against targets after a live (the review
API and the HQ "Review" tab)."""

from __future__ import annotations

from flask import Flask

from app.extensions import register_area


def register(app: Flask) -> None:
    """Register the review area on the app."""
    from livestream.admin import review as admin_review
    from livestream.api import review as api_review

    register_area(app, (api_review, admin_review))
