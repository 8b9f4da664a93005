"""Registration of the guide's WeCom customers area (issue 14, items 3–6): group join
codes (``community.services.join_ways``), customer tags (``tags``, ``tag_links``,
``tag_rules``), hand-over through WeCom (``transfers``) and the people behind group
members — the tags API, the admin tags pages, the ``Customer tags`` navigation, the
nightly tag job (02:30 Asia/Shanghai: read WeCom's library, apply the rules), a buyer's
rule tags after each verified payment, outbox handlers and the ``change_external_tag``
subscription, and the demo tag library (``community.demo.wecom_customers``)."""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES
from app.extensions import register_area
from app.outbox import register_handler
from app.scheduler import register_job
from app.web.i18n import N_
from app.wechat import subscribe
from franchise.jobs.paid_followups import ORDER_PAID

COMMUNITY = N_("Community")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (COMMUNITY, N_("Customer tags"), "community_tags.tags_page", ADMIN_UI_ROLES, "target", 406),
    (COMMUNITY, N_("Hand-overs"), "community_handovers.handovers", ADMIN_UI_ROLES, "users", 407),
)


def register(app: Flask) -> None:
    """Register the WeCom customers area on the app."""
    from community.admin import handovers as admin_handovers
    from community.admin import tags as admin_tags
    from community.api import wecom_customers as api
    from community.demo.wecom_customers import seed_tags
    from community.guide import wecom_customers as guide_pages
    from community.jobs.wecom_customers import run_nightly_tags, run_transfer_readback
    from community.services import join_ways, tag_links, tag_rules, tags, transfers
    from community.services.contact_events import CONTACT_TRANSFER_FAILED
    from franchise.guide.customers import GUIDE_CUSTOMER_SECTIONS
    from franchise.services import GUIDE_LEFT, STORE_CLOSED
    from franchise.services.base import HANDOVER_HELD

    register_area(
        app,
        (api, admin_tags, admin_handovers, guide_pages),
        navs={"admin": ADMIN_NAV},
        hooks=(
            # hand-over through WeCom: franchise leaves WeCom customers to it, WeCom's
            # outcome moves them
            (HANDOVER_HELD, transfers.held_customers),
            (GUIDE_LEFT, transfers.on_guide_left),
            (STORE_CLOSED, transfers.on_store_closed),
            (CONTACT_TRANSFER_FAILED, transfers.on_transfer_failed),
            # the guide's one customer page carries the WeCom actions
            (GUIDE_CUSTOMER_SECTIONS, guide_pages.customer_sections),
            (ORDER_PAID, tag_rules.on_paid),  # a buyer's rule tags, off the notify's path
        ),
        seeders=(seed_tags,),
    )
    register_job(
        app, "community.tags", run_nightly_tags, "cron", hour=2, minute=30, timezone="Asia/Shanghai"
    )
    register_job(app, "community.transfer_results", run_transfer_readback, "interval", minutes=30)
    register_handler(app, join_ways.JOIN_WAY_KIND, join_ways.handle_join_way)
    register_handler(app, transfers.TRANSFER_KIND, transfers.handle_transfer)
    register_handler(app, tags.TAG_SYNC_KIND, tags.handle_tag_sync)
    register_handler(app, tag_links.MARK_KIND, tag_links.handle_mark_tag)
    subscribe(app, "change_external_tag", tags.handle_change_external_tag)
