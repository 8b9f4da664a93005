"""Registration of the campaigns area: modes, participants, sessions, line-up, timeline and
warm-up pushes. The campaigns API, the HQ campaign pages and their tabs
(``campaign_tabs``), the guide's campaign pages and today figures, the "Livestream"
navigation and the demo campaigns (``livestream.demo.campaigns``)."""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE
from app.extensions import register_area
from app.web.dashboard import add_dashboard
from app.web.i18n import N_
from app.web.today import add_today

LIVESTREAM = N_("Livestream")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (LIVESTREAM, N_("Campaigns"), "livestream_campaigns.campaigns", ADMIN_UI_ROLES, "chart", 500),
)
MOBILE_NAV = ((LIVESTREAM, N_("Live stream"), "livestream_guide.campaigns", (GUIDE,), "task", 500),)


def register(app: Flask) -> None:
    """Register the campaigns area on the app."""
    from livestream.admin import campaigns as admin_campaigns
    from livestream.admin import tabs
    from livestream.admin.attention import LIVE
    from livestream.api import campaigns as api_campaigns
    from livestream.demo.campaigns import seed_campaigns
    from livestream.guide import campaigns as guide_campaigns
    from livestream.guide import today as guide_today

    register_area(
        app,
        (api_campaigns, admin_campaigns, guide_campaigns),
        navs={"admin": ADMIN_NAV, "mobile": MOBILE_NAV},
        seeders=(seed_campaigns,),
    )
    app.add_template_global(tabs.campaign_tabs, "campaign_tabs")
    add_dashboard(app, LIVE)
    add_today(app, guide_today.today_figures, guide_today.today_notes, guide_today.TODAY_ROWS)
