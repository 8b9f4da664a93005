"""Registration of the community contacts area: WeCom external contacts and 联系我 codes.

The contacts API, the admin contacts pages and the guide's "my code" page, their
navigation, the re-read, welcome, way-deletion and store-way conversion outbox handlers,
the login hooks (franchise's ``CUSTOMER_FIND_COLUMNS``: whether a contact waits, read
with a returning customer; ``CUSTOMER_LOGGED_IN``: link contacts by unionid), the departure hook
(``GUIDE_LEFT``: retire the guide's codes), the 联系我 evidence for an order's credit
(franchise's ``CREDIT_CONTACT_CLAIM``), the ``change_external_contact``
subscriber and the demo contacts (``community.demo.contacts``). The full sync command
(``flask community sync-contacts``) is in ``community.cli``.
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE
from app.extensions import register_area
from app.outbox import register_handler
from app.scheduler import register_job
from app.web.i18n import N_
from app.wechat import subscribe

COMMUNITY = N_("Community")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (COMMUNITY, N_("WeCom contacts"), "community_contacts.contacts", ADMIN_UI_ROLES, "user", 402),
)
MOBILE_NAV = (
    (COMMUNITY, N_("My code"), "community_guide_contacts.my_code", (GUIDE,), "share", 42),
)


def register(app: Flask) -> None:
    """Register the contacts area on the app."""
    from community.admin import contacts as admin_contacts
    from community.api import contacts as api_contacts
    from community.demo.contacts import seed_contacts
    from community.guide import contacts as guide_contacts
    from community.jobs.contacts import (
        nightly_contact_sync,
        on_customer_logged_in,
        on_guide_left,
        on_store_guides_changed,
    )
    from community.services import contact_credit, contact_events, contact_ways
    from community.services.contact_way_conversion import CONVERT_KIND, convert_way_in_wecom
    from community.services.contacts import waiting_column
    from franchise.services import GUIDE_LEFT, STORE_GUIDES_CHANGED
    from franchise.services.credit_evidence import CREDIT_CONTACT_CLAIM
    from franchise.services.customers import CUSTOMER_FIND_COLUMNS, CUSTOMER_LOGGED_IN

    register_area(
        app,
        (api_contacts, admin_contacts, guide_contacts),
        navs={"admin": ADMIN_NAV, "mobile": MOBILE_NAV},
        hooks=(
            (CUSTOMER_FIND_COLUMNS, waiting_column),
            (CUSTOMER_LOGGED_IN, on_customer_logged_in),
            (GUIDE_LEFT, on_guide_left),
            (STORE_GUIDES_CHANGED, on_store_guides_changed),
            (CREDIT_CONTACT_CLAIM, contact_credit.contact_claim),
        ),
        seeders=(seed_contacts,),
    )
    register_handler(app, contact_events.RESYNC_KIND, contact_events.resync_contact)
    register_handler(app, contact_events.WELCOME_KIND, contact_events.send_queued_welcome)
    register_handler(app, contact_ways.DELETE_KIND, contact_ways.delete_way_in_wecom)
    register_handler(app, contact_ways.UPDATE_KIND, contact_ways.update_way_in_wecom)
    register_handler(app, CONVERT_KIND, convert_way_in_wecom)
    subscribe(app, "change_external_contact", contact_events.handle_change_external_contact)
    register_job(
        app,
        "community.contacts_sync",
        nightly_contact_sync,
        "cron",
        hour=2,
        minute=30,
        timezone="Asia/Shanghai",
    )
