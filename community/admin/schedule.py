"""The planning calendar (``/admin/schedule``, HQ; owners see their franchise's groups):
days × groups over the horizon, each cell the posts placed there (scheduled / pending /
sent / missed, with the reason on hover), filtered by region, franchisee, store, stage,
segment, tag (groups with a current member carrying it), plan and group name; the
receiving-limit policy beside it (HQ changes it here);
``?format=csv`` exports every (day, group, plan) row of the filter.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import current_principal
from app.auth.scope import scoped
from app.clock import shanghai_day
from app.errors import DomainError
from app.extensions import db
from app.web import labels
from app.web.listing import Column, csv_response, export_url, paginate, query_day
from app.web.pages import pages_blueprint
from community.models import SEGMENTS, STAGES, PushPlan, SlotAllocation, WecomGroup
from community.models.wecom_customers import CustomerTag
from community.services import planner, receiving_limit, schedule, tag_links
from community.services.planner_core import POLICIES
from franchise.models import Franchisee, Region, Store

bp = pages_blueprint("community_schedule", __name__, "/admin")

GROUP_FILTERS = ("region_id", "franchisee_id", "store_id")
STATUS_LABELS = {
    "scheduled": "Scheduled",
    "pending": "Pending",
    "sent": "Sent",
    "missed": "Missed",
}


def _first_day() -> date:
    return query_day("from", shanghai_day())


def _groups_stmt(span: list[date]):
    """Active groups of the filter (tenant scope applied), by name; with a plan chosen,
    only the groups that have something of that plan in ``span``."""
    stmt = select(WecomGroup).where(WecomGroup.status == "active")
    plan_id = request.args.get("plan_id", "")
    if plan_id.isdigit():
        of_plan = select(SlotAllocation.group_id).where(
            SlotAllocation.plan_id == int(plan_id),
            SlotAllocation.day >= span[0],
            SlotAllocation.day <= span[-1],
        )
        stmt = stmt.where(WecomGroup.id.in_(of_plan))
    for key in GROUP_FILTERS:
        value = request.args.get(key, "")
        if value.isdigit():
            stmt = stmt.where(getattr(WecomGroup, key) == int(value))
    if request.args.get("stage") in STAGES:
        stmt = stmt.where(WecomGroup.stage == request.args["stage"])
    if request.args.get("segment") in SEGMENTS:
        stmt = stmt.where(WecomGroup.segment == request.args["segment"])
    tag = request.args.get("tag", "").strip()
    if tag:
        stmt = stmt.where(WecomGroup.id.in_(tag_links.groups_with_tag(tag)))
    query = request.args.get("q", "").strip()
    if query:
        escaped = query.replace("%", r"\%").replace("_", r"\_")
        stmt = stmt.where(WecomGroup.name.like(f"%{escaped}%", escape="\\"))
    return scoped(stmt.order_by(WecomGroup.name, WecomGroup.id), WecomGroup)


def _plan_filter(stmt):
    plan_id = request.args.get("plan_id", "")
    return stmt.where(SlotAllocation.plan_id == int(plan_id)) if plan_id.isdigit() else stmt


def _rows_of(span: list[date], group_ids):
    """The schedule rows of ``span`` for ``group_ids`` (a list or a subquery), plan filtered."""
    stmt = schedule.rows_stmt(span[0], span[-1]).where(SlotAllocation.group_id.in_(group_ids))
    return _plan_filter(stmt)


def _filters() -> list[dict]:
    def options(model) -> list[tuple]:
        rows = db.session.scalars(scoped(select(model).order_by(model.id), model))
        return [(row.id, row.name) for row in rows]

    plans = db.session.scalars(select(PushPlan).order_by(PushPlan.priority.desc(), PushPlan.id))
    live = select(CustomerTag).where(CustomerTag.deleted.is_(False)).order_by(CustomerTag.name)
    tags = [(t.id, t.name) for t in db.session.scalars(live)]
    return [
        {"name": "from", "label": _("From"), "type": "date"},
        {"name": "q", "label": _("Group name"), "type": "text"},
        {"name": "region_id", "label": _("Region"), "type": "select", "options": options(Region)},
        {
            "name": "franchisee_id",
            "label": _("Franchisee"),
            "type": "select",
            "options": options(Franchisee),
        },
        {"name": "store_id", "label": _("Store"), "type": "select", "options": options(Store)},
        {
            "name": "stage",
            "label": _("Stage"),
            "type": "select",
            "options": labels.options("stage", STAGES),
        },
        {
            "name": "segment",
            "label": _("Segment"),
            "type": "select",
            "options": labels.options("segment", SEGMENTS),
        },
        {"name": "tag", "label": _("Tag"), "type": "select", "options": tags},
        {
            "name": "plan_id",
            "label": _("Plan"),
            "type": "select",
            "options": [(p.id, p.name) for p in plans],
        },
    ]


# the export as the calendar reads: names, the status and the reason as words (the
# records' ids stay for matching rows with the API's ``GET /api/v1/schedule``)
CSV_COLUMNS = [
    Column("date", _l("Date")),
    Column("group_id", _l("Group ID"), numeric=True),
    Column("group_name", _l("Group"), value=lambda e: e["group_name"] or _("Unnamed group")),
    Column("plan_id", _l("Plan ID"), numeric=True),
    Column("plan_name", _l("Plan")),
    Column("content_id", _l("Content ID"), numeric=True),
    Column("status", _l("Status"), value=lambda e: _(STATUS_LABELS[e["status"]])),
    Column("reason", _l("Reason"), value=lambda e: e["reason_label"]),
]


@bp.route("/schedule", endpoint="calendar")
@page_roles(*ADMIN_UI_ROLES)
def calendar_page():
    """Days × groups over the horizon (14 days from ``from``)."""
    span = planner.horizon(_first_day())
    groups = _groups_stmt(span)
    if request.args.get("format") == "csv":
        stmt = _rows_of(span, select(groups.subquery().c.id)).order_by(SlotAllocation.day)
        rows = (schedule.item(r) for r in db.session.execute(stmt))
        return csv_response(f"schedule-{span[0].isoformat()}.csv", CSV_COLUMNS, rows)
    page = paginate(groups)
    stmt = _rows_of(span, [g.id for g in page.items])
    cells: dict[tuple, list[dict]] = defaultdict(list)
    totals: dict[str, int] = defaultdict(int)
    for row in db.session.execute(stmt.order_by(SlotAllocation.priority.desc())):
        entry = schedule.item(row)
        cells[(row.group_id, row.day)].append(entry)
        totals[entry["status"]] += 1
    principal = current_principal()
    return render_template(
        "community/schedule/calendar.html",
        page=page,
        days=span,
        cells=cells,
        totals=totals,
        filters=_filters(),
        policy=receiving_limit.describe(),
        policies=POLICIES,
        labels=STATUS_LABELS,
        csv_url=export_url(),
        can_change=principal is not None and principal.role in HQ_ROLES,
        prev_from=(span[0] - timedelta(days=7)).isoformat(),
        next_from=(span[0] + timedelta(days=7)).isoformat(),
    )


@bp.post("/schedule/receiving-limit")
@page_roles(*HQ_ROLES)
def change_limit():
    """HQ sets the policy its WeCom admin chose (re-plans within seconds)."""
    try:
        receiving_limit.update(request.form.get("policy"))
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Receiving limit saved; the schedule is being planned again."), "success")
        planner.replan(shanghai_day())
    return redirect(url_for("community_schedule.calendar"), 303)
