"""The guide's "today's sends to confirm" (``/m/tasks``): today's send batches of the
guide's own groups — the post as it will look, the groups, how to confirm in WeCom
(企业微信 → 客户联系 → 群发助手), and the status read back per group. "I sent it" reads the
result back from WeCom at once; a send WeCom has not reported yet says so and by when it
is checked again (``readback_schedule``). Below, the next 7 days' sends the planner placed on the
guide's groups. Sends escalated after the reminders (any day) come first, marked overdue.
A guide sees only their own batches and groups (scope: guide).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.scope import get_scoped_or_404, scoped
from app.clock import shanghai_day, utcnow
from app.db import values_by_key
from app.extensions import db
from app.web.formatting import shanghai
from community.models import (
    ALLOCATED,
    BATCH_CREATED,
    ContentPost,
    GroupDelivery,
    PushPlan,
    SendBatch,
    SlotAllocation,
    WecomGroup,
)
from community.services import delivery, journey_sends
from community.services.readback_schedule import next_check

UPCOMING_DAYS = 7
bp = Blueprint("community_tasks", __name__, url_prefix="/m/tasks", template_folder="../templates")


@bp.route("")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def tasks():
    day = shanghai_day()
    overdue = (SendBatch.escalation_level >= 1) & (SendBatch.status == BATCH_CREATED)
    batches = db.session.scalars(
        scoped(select(SendBatch).where((SendBatch.day == day) | overdue), SendBatch).order_by(
            SendBatch.escalation_level.desc(), SendBatch.id
        )
    ).all()
    ids = [b.id for b in batches]
    counts: dict = {}
    names: dict = {}
    if ids:
        for batch_id, status, count in db.session.execute(
            select(GroupDelivery.batch_id, GroupDelivery.status, func.count())
            .where(GroupDelivery.batch_id.in_(ids))
            .group_by(GroupDelivery.batch_id, GroupDelivery.status)
        ):
            counts.setdefault(batch_id, {})[status] = count
        chat_ids = {c for b in batches for c in (b.chat_ids or [])[:20]}
        names = values_by_key(db.session, WecomGroup.chat_id, WecomGroup.name, chat_ids)
    return render_template(
        "community/guide/tasks.html",
        day=day,
        batches=batches,
        counts=counts,
        names=names,
        upcoming=upcoming(day),
        journey_sends=journey_sends.guide_sends(day),
        next_check=next_check,
    )


def upcoming(today, days: int = UPCOMING_DAYS) -> list[tuple]:
    """The guide's next days: per day, the posts placed on their groups (plan, post, how
    many groups), from the planner's schedule (scope: the guide's own)."""
    first, last = today + timedelta(days=1), today + timedelta(days=days)
    stmt = scoped(
        select(SlotAllocation.day, PushPlan.name, ContentPost.title, func.count())
        .join(PushPlan, PushPlan.id == SlotAllocation.plan_id)
        .join(ContentPost, ContentPost.id == SlotAllocation.post_id)
        .where(
            SlotAllocation.day >= first,
            SlotAllocation.day <= last,
            SlotAllocation.status == ALLOCATED,
        )
        .group_by(SlotAllocation.day, PushPlan.name, ContentPost.title)
        .order_by(SlotAllocation.day, PushPlan.name),
        SlotAllocation,
    )
    by_day: dict = {}
    for day, plan, title, count in db.session.execute(stmt):
        by_day.setdefault(day, []).append({"plan": plan, "title": title, "groups": count})
    return sorted(by_day.items())


@bp.post("/<int:batch_id>/check")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def check(batch_id: int):
    """The guide says they confirmed: read the result back now."""
    batch = get_scoped_or_404(SendBatch, batch_id)
    day, the_id = batch.day, batch.id
    db.session.commit()
    result = delivery.read_back(day, [the_id])
    if result["confirmed"]:
        flash(_("Sent — thank you."), "success")
    else:
        flash(
            _(
                "WeCom has not reported this send yet. It is checked again by %(time)s; "
                "if you have sent it, try again in a few minutes.",
                time=shanghai(next_check(utcnow()), "%H:%M"),
            ),
            "warning",
        )
    return redirect(url_for("community_tasks.tasks"), 303)
