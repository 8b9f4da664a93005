"""Registration of the livestream domain: blueprints (JSON API under ``/api/v1``, HQ pages
under ``/admin/live``, guide pages under ``/m/live``), navigation, jobs, outbox handlers,
the live-price hook on franchise orders, the demo seeder and the template helpers.
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE
from app.extensions import add_nav, registry
from app.web.i18n import N_
from app.web.today import add_today

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


def init_app(app: Flask) -> None:
    """Register the livestream domain on the app."""
    import livestream.models  # noqa: F401 - the tables
    from app.extensions import api as openapi
    from livestream import demo
    from livestream.admin import campaigns as admin_campaigns
    from livestream.admin import live as admin_live
    from livestream.admin import readiness as admin_readiness
    from livestream.admin import review as admin_review
    from livestream.admin import targets as admin_targets
    from livestream.admin import training as admin_training
    from livestream.api import campaigns as api_campaigns
    from livestream.api import live as api_live
    from livestream.api import readiness as api_readiness
    from livestream.api import review as api_review
    from livestream.api import targets as api_targets
    from livestream.api import training as api_training
    from livestream.guide import campaigns as guide_campaigns
    from livestream.guide import results as guide_results
    from livestream.guide import share as guide_share
    from livestream.guide import today as guide_today
    from livestream.jobs import live as live_jobs
    from livestream.services import linkcheck

    for module in (api_campaigns, api_targets, api_training, api_readiness, api_live, api_review):
        openapi.register_blueprint(module.blp)
    for module in (
        admin_campaigns,
        admin_targets,
        admin_training,
        admin_readiness,
        admin_live,
        admin_review,
        guide_campaigns,
        guide_share,
        guide_results,
    ):
        app.register_blueprint(module.bp)
    app.add_template_global(campaign_tabs, "campaign_tabs")

    group = N_("Livestream")
    add_nav(
        app,
        "admin",
        group,
        N_("Campaigns"),
        "livestream_campaigns.campaigns",
        ADMIN_UI_ROLES,
        icon="chart",
        order=500,
    )
    add_nav(
        app,
        "mobile",
        group,
        N_("Live stream"),
        "livestream_guide.campaigns",
        (GUIDE,),
        icon="task",
        order=500,
    )
    live_jobs.register(app)
    linkcheck.register(app)
    registry(app).seeders.append(demo.seed_campaigns)
    add_today(app, guide_today.today_figures, guide_today.today_notes)


def campaign_tabs(campaign_id: int) -> list[tuple[str, str, str]]:
    """``(endpoint, url, label)`` of the campaign pages' tabs that exist in this app."""
    from flask import current_app, url_for
    from flask_babel import gettext

    return [
        (endpoint, url_for(endpoint, campaign_id=campaign_id), gettext(label))
        for endpoint, label in CAMPAIGN_TABS
        if endpoint in current_app.view_functions
    ]
