"""The guide's groups on mobile (``/m/groups``): my groups with their stage badge, member
count and today's joins; ``/m/groups/<id>`` shows one (another guide's group is 404)."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.scope import get_scoped_or_404, scoped
from app.clock import shanghai_day
from app.extensions import db
from app.web.listing import paginate
from app.web.pages import pages_blueprint
from community.admin.groups import SEGMENT_LABELS, STAGE_LABELS
from community.api.groups import stage_history
from community.models.groups import GroupDailyMetric, WecomGroup
from community.services import segments as segment_service
from community.services.people import member_page

bp = pages_blueprint("community_guide_groups", __name__, "/m/groups")


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
    page, people = member_page(group, current_only=True)
    return render_template(
        "community/guide/groups_detail.html",
        group=group,
        page=page,
        people=people,
        history=stage_history(group.id)[:5],
        segment=segment_service.explain(group),
        stage_labels=STAGE_LABELS,
        segment_labels=SEGMENT_LABELS,
    )
