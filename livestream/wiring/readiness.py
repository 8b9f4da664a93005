"""Registration of the readiness area: the readiness gate and the link check (the
readiness API, the HQ "Readiness" and "Link check" tabs, and the link check's outbox
handlers ``livestream.link_check`` and ``livestream.link_check_close``)."""

from __future__ import annotations

from flask import Flask

from app.extensions import register_area
from app.outbox import register_handler


def register(app: Flask) -> None:
    """Register the readiness area on the app."""
    from livestream.admin import readiness as admin_readiness
    from livestream.api import readiness as api_readiness
    from livestream.services import linkcheck

    register_area(app, (api_readiness, admin_readiness))
    register_handler(app, linkcheck.KIND, linkcheck.run_link_check)
    register_handler(app, linkcheck.CLOSE_KIND, linkcheck.close_dry_run)
