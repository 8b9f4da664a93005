"""Warm-up pushes: one community push plan per campaign, on the warm-up step's days.

The plan sends the campaign's warm-up post (``warmup_post_id``) to the groups of the
participating stores at 10:00 on each day of the warm-up step (T-3..T-1), priority 200;
the community allocator keeps it inside WeCom's daily quota. It is active while the
campaign is scheduled and paused otherwise (cancelled, or the post was removed).
"""

from __future__ import annotations

from datetime import timedelta

from app.db import commit_or_rollback
from app.extensions import db
from community.models import PushPlan
from community.services.plans import save_plan
from livestream.models.campaigns import SCHEDULED, STEP_WARMUP, Campaign
from livestream.services import timeline

PLAN_PREFIX = "直播预热 · "
SEND_TIME = "10:00"
PRIORITY = 200


def warmup_days(campaign: Campaign) -> list[str]:
    """ISO dates of the warm-up step (default T-3..T-1 when the step is missing)."""
    step = timeline.step_of(campaign, STEP_WARMUP)
    if step is None:
        t = timeline.live_day(campaign)
        start, end = t - timedelta(days=3), t - timedelta(days=1)
    else:
        start, end = step.starts_on, step.due_on
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def _plan(campaign: Campaign) -> PushPlan | None:
    return db.session.get(PushPlan, campaign.warmup_plan_id) if campaign.warmup_plan_id else None


def ensure_warmup_plan(campaign: Campaign) -> PushPlan | None:
    """Create or update the campaign's warm-up plan, or pause it; commits.

    Active when the campaign is scheduled and has a warm-up post; an existing plan is
    paused otherwise. Returns the plan (None when there is none).
    """
    plan = _plan(campaign)
    # no stores would mean every group: never send then
    if campaign.status != SCHEDULED or not campaign.warmup_post_id or not campaign.stores:
        return pause_warmup_plan(campaign)
    days = warmup_days(campaign)
    data = {
        "name": (PLAN_PREFIX + campaign.name)[:64],
        "post_id": campaign.warmup_post_id,
        "schedule_kind": "dates",
        "dates": days,
        "send_time": SEND_TIME,
        "priority": PRIORITY,
        "status": "active",
        "store_ids": sorted(cs.store_id for cs in campaign.stores),
        "active_from": days[0] if days else None,
        "active_until": days[-1] if days else None,
    }
    plan = save_plan(data, plan)  # commits
    plan.campaign_id = campaign.id
    campaign.warmup_plan_id = plan.id
    commit_or_rollback(db.session)
    return plan


def pause_warmup_plan(campaign: Campaign) -> PushPlan | None:
    """Pause the campaign's warm-up plan when it has one; commits."""
    plan = _plan(campaign)
    if plan is not None and plan.status == "active":
        plan.status = "paused"
        db.session.commit()
    return plan
