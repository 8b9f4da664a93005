"""Livestream's items in the overview's "needs attention" card: campaigns with steps late
or due, and campaigns live within a week whose readiness gate is blocked, each linking
to the campaign list filtered the same way."""

from __future__ import annotations

from app.web.attention import Attention, attention_panel
from app.web.dashboard import DashboardSource
from app.web.i18n import N_, gettext_all
from app.web.shell import kept_url
from livestream.services import attention


def live_attention(principal, values) -> list[dict]:
    """Counts among the campaigns the viewer may see."""
    found = attention.counts(principal, *values)
    steps, gates, live = gettext_all(
        N_("Campaigns with steps late or due"),
        N_("Readiness gates blocked (live within a week)"),
        N_("Live"),
    )
    items = [
        Attention(
            steps,
            found[attention.STEPS],
            kept_url("livestream_campaigns.campaigns", attention=attention.STEPS),
            "warning",
        ),
        Attention(
            gates,
            found[attention.GATE],
            kept_url("livestream_campaigns.campaigns", attention=attention.GATE),
            "critical",
        ),
    ]
    return [attention_panel(live, items)]


LIVE = DashboardSource(attention.figures, live_attention, attention.horizon)
