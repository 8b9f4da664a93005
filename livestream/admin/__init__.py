"""The livestream domain's admin room, one module per area; the pieces its campaign
pages share: ``campaign_pages`` (a blueprint under ``/admin/live/campaigns``) and the
organisation levels' names (``LEVEL_LABELS``)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.web.pages import pages_blueprint
from livestream.models.targets import LEVEL_FRANCHISEE, LEVEL_GUIDE, LEVEL_REGION, LEVEL_STORE

LEVEL_LABELS = {
    LEVEL_REGION: _l("Region"),
    LEVEL_FRANCHISEE: _l("Franchisee"),
    LEVEL_STORE: _l("Store"),
    LEVEL_GUIDE: _l("Guide"),
}


def campaign_pages(name: str, import_name: str) -> Blueprint:
    """The blueprint of an area's HQ pages of a campaign, under ``/admin/live/campaigns``
    with the domain's templates."""
    return pages_blueprint(name, import_name, "/admin/live/campaigns")
