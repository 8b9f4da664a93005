"""Credit, dispute and commission strings translated at display time, listed so
``pybabel extract`` finds them: the services' English messages (``invalid(...)``, the
404s of ``not_found``) that the error handler translates, and the credit rules' problems.
Like ``app/web/display_messages.py`` it translates nothing and nothing imports it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGES = (
    _l("This line has no credit yet."),
    _l("The dispute window has closed."),
    _l("This line's credit was already ruled on."),
    _l("Name the guide the credit goes to."),
    _l("Only the guide or the franchise owner may dispute credit."),
    _l("Only HQ rules on credit disputes."),
    _l("The credit rules are invalid."),
    _l("Give every source of credit exactly once."),
    _l("Each rule needs its own precedence."),
    _l("The active shares must add up to 10,000 basis points (100 %)."),
    _l("A month as YYYY-MM."),
    _l("That month has not begun yet."),
    _l("A rate from 0 to 100 %."),
    _l("A rate from 0 to 100 %, with at most two decimals."),
    _l("Credit dispute not found"),
    _l("Order line not found"),
    _l("Commission rate not found"),
    _l("Guide not found"),
    # dispute history actions and the evidence's assignment rules shown as words
    _l("Filed"),
)
