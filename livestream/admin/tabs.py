"""The campaign pages' tabs, shown on every HQ campaign page (``_tabs.html``).

``campaign_tabs`` is a template global (registered by ``livestream.wiring.campaigns``);
a tab shows only when its endpoint exists in the app.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext

from app.web.i18n import N_

# The campaign pages' tabs, in order: (endpoint, label). Shown when the endpoint exists.
CAMPAIGN_TABS = (
    ("livestream_campaigns.detail", N_("Overview")),
    ("livestream_targets.targets", N_("Targets & rules")),
    ("livestream_training.board", N_("Training")),
    ("livestream_readiness.gate", N_("Readiness")),
    ("livestream_readiness.link_check", N_("Link check")),
    ("livestream_live.dashboard", N_("Live dashboard")),
    ("livestream_review.review", N_("Review")),
)


def campaign_tabs(campaign_id: int) -> list[tuple[str, str, str]]:
    """``(endpoint, url, label)`` of the campaign pages' tabs that exist in this app."""
    return [
        (endpoint, url_for(endpoint, campaign_id=campaign_id), gettext(label))
        for endpoint, label in CAMPAIGN_TABS
        if endpoint in current_app.view_functions
    ]
