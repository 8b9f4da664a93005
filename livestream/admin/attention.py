"""Livestream's items in the overview's "needs attention" card: campaigns with steps late
or due, and campaigns live within a week whose readiness gate is blocked, each linking
to the campaign list filtered the same way."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.web.attention import Attention, attention_panel
from app.web.dashboard import DashboardSource
from app.web.shell import kept_url
from livestream.services import attention


def live_attention(principal, values) -> list[dict]:
    """Counts among the campaigns the viewer may see."""
    found = attention.counts(principal, *values)
    items = [
        Attention(
            str(_l("Campaigns with steps late or due")),
            found[attention.STEPS],
            kept_url("livestream_campaigns.campaigns", attention=attention.STEPS),
            "warning",
        ),
        Attention(
            str(_l("Readiness gates blocked (live within a week)")),
            found[attention.GATE],
            kept_url("livestream_campaigns.campaigns", attention=attention.GATE),
            "critical",
        ),
    ]
    return [attention_panel(str(_l("Live")), items)]


LIVE = DashboardSource(attention.figures, live_attention, attention.horizon)
