"""The live stream tab's line on the guide's Today page (``app.web.today``).

The campaigns the guide's store takes part in whose live has not ended (``live_at`` plus
``duration_minutes``), nearest first, each with the guide's checklist progress (rows
the page's one statement brings, ``TODAY_ROWS``): a live on air now says so; otherwise
the count is the campaigns whose checklist the guide has not completed, and the line
names the nearest one with the guide's progress and its start time.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from app.auth.principal import Principal
from app.clock import utcnow
from app.web.formatting import shanghai
from app.web.today import GUIDE_PARAMS, TodayNote, TodayRows, due_time
from livestream.models import Campaign
from livestream.services.access import visible_campaigns
from livestream.services.training_board import guide_checklist_columns

ENDPOINT = "livestream_guide.campaigns"
# The longest a live may run (``campaign_input``'s 720 minutes), to bound the query.
LONGEST_LIVE = timedelta(minutes=720)


def _coming_lives():
    """The guide's campaigns that may not have ended, with the guide's checklist counts."""
    columns = (Campaign.id, Campaign.name, Campaign.live_at, Campaign.duration_minutes)
    return (
        visible_campaigns(
            select(*columns, *guide_checklist_columns(bindparam("guide_id"))), GUIDE_PARAMS
        )
        .where(Campaign.live_at >= bindparam("since"))
        .order_by(Campaign.live_at, Campaign.id)
        .limit(20)
    )


# The rows, joined to the page's figures (``app.web.today``); ``since`` from its ``now``.
TODAY_ROWS = TodayRows(
    _coming_lives, ("live_at", "id"), lambda values: {"since": values["now"] - LONGEST_LIVE}
)


def today_figures(guide: Principal) -> dict:
    """No scalar figures: the tab needs the campaigns' rows (``today_notes`` reads them)."""
    return {}


def today_notes(principal: Principal, values: dict) -> list[TodayNote]:
    """The live stream tab's note for a guide, from the coming lives' rows."""
    now = utcnow()
    rows = [r for r in values["rows"] if r.live_at + timedelta(minutes=r.duration_minutes) > now]
    if not rows:
        return [TodayNote(ENDPOINT, _("No live coming up"))]
    untrained = [r for r in rows if not r.completed and r.live_at > now]
    on_air = next((r for r in rows if r.live_at <= now), None)
    if untrained:  # training due before a coming live matters more than one on air
        first = untrained[0]
        text = _(
            "Training %(done)s/%(total)s for %(name)s, live %(when)s",
            done=first.done,
            total=first.required,
            name=first.name,
            when=shanghai(first.live_at, "%m-%d %H:%M"),
        )
        if on_air is not None:
            text += " · " + _("On air now: %(name)s", name=on_air.name)
        return [TodayNote(ENDPOINT, text, len(untrained), due_time(first.live_at))]
    if on_air is not None:
        text = _("On air now: %(name)s", name=on_air.name)
    else:
        text = _(
            "Trained for %(name)s, live %(when)s",
            name=rows[0].name,
            when=shanghai(rows[0].live_at, "%m-%d %H:%M"),
        )
    return [TodayNote(ENDPOINT, text, len(untrained))]
