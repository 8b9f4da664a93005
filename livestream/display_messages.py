"""Livestream strings translated at display time, listed so ``pybabel extract`` finds them.

Templates pass code keys (campaign status, phase, timeline step state, session status) to
``_()`` as variables, and flashes and form errors show the services' English messages
through ``|tr``. Like ``app/web/display_messages.py`` this lists the exact texts; it
translates nothing by itself and nothing imports it at run time.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CODE_KEYS = (
    # campaign statuses
    _l("draft"),
    _l("scheduled"),
    _l("live"),
    _l("ended"),
    _l("reviewed"),
    _l("cancelled"),
    # phases (timeline step kinds)
    _l("targets"),
    _l("training"),
    _l("warmup"),
    _l("gate"),
    _l("review"),
    _l("custom"),
    # step states
    _l("done"),
    _l("late"),
    _l("due"),
    _l("upcoming"),
    # session and link-check states
    _l("living"),
    _l("pending"),
)

SERVICE_MESSAGES = (
    _l("A region has no weight; set its figures instead."),
    _l("Campaign not found"),
    _l("Checklist item not found"),
    _l("Choose a kind."),
    _l("Control characters and invalid Unicode are not allowed."),
    _l("Customer not found"),
    _l("Enter your answer."),
    _l("Every unit here is fixed, so weights must add to 100%."),
    _l("Fixed weights of the units would exceed 100%."),
    _l("Guide not found"),
    _l("Must be a whole number."),
    _l("Must be between 0 and 10000."),
    _l("No such campaign open for orders."),
    _l("Only a scheduled campaign can go live."),
    _l("Only regions and franchisees have children."),
    _l("Rule not found"),
    _l("Session not found"),
    _l("Step not found"),
    _l("Target not found"),
    _l("The campaign has no participating stores."),
    _l("The gate is not overridden."),
    _l("The guide has left."),
    _l("This campaign is over."),
    _l("This campaign is over; there is nothing to check."),
    _l("This store does not take part in the campaign."),
    _l("This unit no longer takes part."),
    _l("Up or down."),
    _l("The readiness gate is blocked."),
)
