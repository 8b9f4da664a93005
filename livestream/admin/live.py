"""The live dashboard: GMV, orders and viewers against targets, refreshing every 15 s.

``/admin/live/campaigns/<id>/live`` (HQ and owners of a participating franchise; owners
see their own franchise and stores only) shows the headline figures, the per-region
(owner: per-store) table with progress bars, the sessions with their viewers, the
line-up sold against caps and the last paid orders. A little script re-reads
``GET /api/v1/campaigns/<id>/live`` every 15 seconds and updates the figures in place.
HQ's "Read viewers now" (``POST .../live/viewers``) reads WeCom's watch stats at once.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.errors import NotFound
from app.schemas import MAX_ID
from livestream.admin import campaign_pages
from livestream.models.targets import LEVEL_REGION
from livestream.services import live_board, living
from livestream.services.access import campaign_or_404

bp = campaign_pages("livestream_live", __name__)


def _campaign(campaign_id: int):
    if not 1 <= campaign_id <= MAX_ID:
        raise NotFound("Campaign not found")
    return campaign_or_404(campaign_id)


@bp.route("/<int:campaign_id>/live")
@page_roles(*ADMIN_UI_ROLES)
def dashboard(campaign_id: int):
    """The live dashboard of one campaign."""
    campaign = _campaign(campaign_id)
    principal = required_principal()
    data = live_board.board(campaign.id, None if principal.is_hq else principal.franchisee_id)
    return render_template(
        "livestream/admin/live/dashboard.html",
        campaign=campaign,
        board=data,
        is_hq=principal.is_hq,
        rows_label=_("Regions") if data["level"] == LEVEL_REGION else _("Stores"),
        api_url=url_for("livestream_live_api.CampaignLive", campaign_id=campaign.id),
        refresh_seconds=current_app.config["LIVE_DASHBOARD_REFRESH_SECONDS"],
        active="livestream_live.dashboard",
    )


@bp.route("/<int:campaign_id>/live/viewers", methods=["POST"])
@page_roles(*HQ_ROLES)
def read_viewers(campaign_id: int):
    """HQ: read the WeCom lives' viewers now, then back to the dashboard."""
    campaign = _campaign(campaign_id)
    result = living.read_watch_stats(campaign.id)
    if result["failed"]:
        flash(_("Viewers read for %(read)d lives; %(failed)d failed.", **result), "error")
    else:
        flash(_("Viewers read for %(read)d lives.", read=result["read"]), "success")
    return redirect(url_for("livestream_live.dashboard", campaign_id=campaign.id), 303)
