"""The campaign list's columns in SQL: one statement gives a page of ``GET /api/v1/campaigns``.

The list item is ``id, name, mode, status, live_at, phase, store_count``. ``phase`` is
``timeline.phase`` written as a SQL expression (the status first; else the latest default
step started by today, else the first default step, else ``targets``) and ``store_count``
a correlated count, so the route reads no ``Campaign`` object, no step and no store row
(tests compare the page with the objects' answer). ``LIST_SELECT`` is built once, the day
a parameter.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Date, and_, bindparam, case, func, select

from app.db import fixed_values
from livestream.models import Campaign, CampaignStore
from livestream.models.campaigns import (
    CANCELLED,
    ENDED,
    LIVE,
    REVIEWED,
    STEP_CUSTOM,
    STEP_LIVE,
    STEP_REVIEW,
    STEP_TARGETS,
    TimelineStep,
)

TODAY = bindparam("today", type_=Date)  # the Shanghai day, given at execution


def phase_clause(today=TODAY) -> ColumnElement[str]:
    """``timeline.phase(campaign, today)`` of the row's campaign, in SQL (``today`` a
    date or the ``TODAY`` parameter)."""
    default_step = and_(TimelineStep.campaign_id == Campaign.id, TimelineStep.kind != STEP_CUSTOM)
    kind = select(TimelineStep.kind).where(default_step).limit(1)
    started = kind.where(TimelineStep.starts_on <= today).order_by(
        TimelineStep.starts_on.desc(), TimelineStep.id.desc()
    )
    first = kind.order_by(TimelineStep.starts_on, TimelineStep.id)
    return case(
        (Campaign.status == CANCELLED, CANCELLED),
        (Campaign.status == LIVE, STEP_LIVE),
        (Campaign.status.in_(fixed_values(Campaign.status, (ENDED, REVIEWED))), STEP_REVIEW),
        else_=func.coalesce(started.scalar_subquery(), first.scalar_subquery(), STEP_TARGETS),
    )


def list_select(today=TODAY):
    """The list item's columns (``phase`` at ``today``), to be filtered and ordered."""
    store_count = (
        select(func.count())
        .where(CampaignStore.campaign_id == Campaign.id)
        .correlate(Campaign)
        .scalar_subquery()
    )
    return select(
        Campaign.id,
        Campaign.name,
        Campaign.mode,
        Campaign.status,
        Campaign.live_at,
        phase_clause(today).label("phase"),
        store_count.label("store_count"),
    )


LIST_SELECT = list_select()  # built once; executed with {"today": shanghai_day()}
