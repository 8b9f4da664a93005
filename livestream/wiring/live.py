"""Registration of the live area: attribution through share codes, live prices and the
stock cap, WeCom living and the live dashboard.

The live API, the HQ "Live dashboard" tab, the guide's share and results pages, the jobs
(``livestream.enqueue_livings`` every 10 minutes, ``livestream.watch_stats`` every 5), the
outbox handler ``livestream.living_create`` and the hooks on franchise orders: live prices
(``CAMPAIGN_PRICING``), the stock cap (``CAMPAIGN_RESERVATIONS``) and its release
(``CAMPAIGN_RELEASES``); and on community's 联系我 codes: a campaign's code carries the
guide's campaign share code (``CAMPAIGN_SHARE_CODE``) and a contact added through it is the
campaign's visit (``CONTACT_CAMPAIGN_ADDED``).
"""

from __future__ import annotations

from flask import Flask

from app.extensions import register_area
from app.outbox import register_handler
from app.scheduler import register_job


def register(app: Flask) -> None:
    """Register the live area on the app."""
    from community.services import contact_ways
    from community.services.people import CAMPAIGN_NAMES
    from franchise.services import coupon_templates, credit_evidence, orders
    from livestream.admin import live as admin_live
    from livestream.api import live as api_live
    from livestream.guide import results as guide_results
    from livestream.guide import share as guide_share
    from livestream.jobs import live as jobs
    from livestream.services import attribution, live_credit, living

    register_area(
        app,
        (api_live, admin_live, guide_share, guide_results),
        hooks=(
            (coupon_templates.CAMPAIGN_EXISTS, attribution.campaign_exists),
            (CAMPAIGN_NAMES, attribution.campaign_names),
            (orders.CAMPAIGN_PRICING, attribution.live_prices),
            (orders.CAMPAIGN_RESERVATIONS, attribution.reserve_within_caps),
            (orders.CAMPAIGN_RELEASES, attribution.release_caps),
            (contact_ways.CAMPAIGN_SHARE_CODE, attribution.campaign_code_of_guide),
            (contact_ways.CONTACT_CAMPAIGN_ADDED, attribution.record_contact_visit),
            # credit (issue 18): the live guide's claim on an order
            (credit_evidence.CREDIT_LIVE_CLAIM, live_credit.live_claim),
        ),
    )
    register_job(
        app, "livestream.enqueue_livings", jobs.enqueue_livings_job, "interval", minutes=10
    )
    register_job(app, "livestream.watch_stats", jobs.watch_stats_job, "interval", minutes=5)
    register_handler(app, living.LIVING_KIND, living.create_living)
    # credit (issue 18): rewards / penalties paid
    register_job(
        app,
        "livestream.live_rewards",
        jobs.live_rewards_job,
        "cron",
        hour=3,
        minute=40,
        timezone="Asia/Shanghai",
    )
