"""The livestream domain's admin room, one module per area; the pieces its campaign
pages share: ``campaign_pages`` (a blueprint under ``/admin/live/campaigns``) and the
organisation levels' names (``LEVEL_LABELS``) and the words of the targets' metrics and
of their reward and penalty rules (``METRIC_LABELS``, ``RULE_KIND_LABELS``: the targets and
review pages)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.web.pages import pages_blueprint
from livestream.models.targets import (
    LEVEL_FRANCHISEE,
    LEVEL_GUIDE,
    LEVEL_REGION,
    LEVEL_STORE,
    RULE_PENALTY,
    RULE_REWARD,
)

LEVEL_LABELS = {
    LEVEL_REGION: _l("Region"),
    LEVEL_FRANCHISEE: _l("Franchisee"),
    LEVEL_STORE: _l("Store"),
    LEVEL_GUIDE: _l("Guide"),
}
# in the order the rule form offers them
METRIC_LABELS = {
    "new_customers": _l("New customers"),
    "group_joins": _l("Group joins"),
    "appointments": _l("Appointments"),
    "gmv_fen": _l("GMV"),
}
RULE_KIND_LABELS = {RULE_REWARD: _l("Reward"), RULE_PENALTY: _l("Penalty")}


def campaign_pages(name: str, import_name: str) -> Blueprint:
    """The blueprint of an area's HQ pages of a campaign, under ``/admin/live/campaigns``
    with the domain's templates."""
    return pages_blueprint(name, import_name, "/admin/live/campaigns")
