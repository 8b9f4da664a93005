"""The guide's groups on mobile (``/m/groups``): my groups with their stage badge, member
count and today's joins; ``/m/groups/<id>`` shows one (another guide's group is 404)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.scope import get_scoped_or_404, scoped
from app.clock import shanghai_day
from app.extensions import db
from app.web.listing import paginate
from community.admin.groups import SEGMENT_LABELS, STAGE_LABELS
from community.admin.people import member_people
from community.api.groups import stage_history
from community.models.groups import GroupDailyMetric, GroupMember, WecomGroup
from community.services import segments as segment_service

bp = Blueprint(
    "community_guide_groups", __name__, url_prefix="/m/groups", template_folder="../templates"
)


@bp.get("")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def groups():
    """My active groups, biggest first, with today's joins."""
    stmt = (
        scoped(select(WecomGroup), WecomGroup)
        .where(WecomGroup.status == "active")
        .order_by(WecomGroup.member_count.desc(), WecomGroup.id)
    )
    page = paginate(stmt)
    ids = [g.id for g in page.items]
    joins = {}
    if ids:
        joins = dict(
            db.session.execute(
                select(GroupDailyMetric.group_id, GroupDailyMetric.joins).where(
                    GroupDailyMetric.group_id.in_(ids), GroupDailyMetric.day == shanghai_day()
                )
            ).all()
        )
    return render_template(
        "community/guide/groups.html",
        page=page,
        joins=joins,
        stage_labels=STAGE_LABELS,
        segment_labels=SEGMENT_LABELS,
    )


@bp.get("/<int:group_id>")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def group(group_id: int):
    """One of my groups: stage, segment advice, recent stage changes, members."""
    group = get_scoped_or_404(WecomGroup, group_id)
    members = db.session.scalars(
        select(GroupMember)
        .where(GroupMember.group_id == group.id, GroupMember.left_at.is_(None))
        .order_by(GroupMember.join_time.desc())
        .limit(200)
    ).all()
    return render_template(
        "community/guide/groups_detail.html",
        group=group,
        members=members,
        people=member_people(members),
        history=stage_history(group.id)[:5],
        segment=segment_service.explain(group),
        stage_labels=STAGE_LABELS,
        segment_labels=SEGMENT_LABELS,
    )
