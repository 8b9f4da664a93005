"""Push plan pages and the allocation calendar.

* ``/admin/plans`` (HQ): plans by priority; ``/admin/plans/new`` and ``/admin/plans/<id>``:
  the editor (targets: stage, segment, region, franchisee, store or explicit groups;
  schedule kind with weekdays / dates / day after creation; time; quiet hours; priority;
  active period), the form loads through ``PlanSchema`` (``app.web.form_input``) and
  ``community.services.plans``'s errors show beside their fields.
* ``/admin/allocation?day=`` (HQ, owners scoped): tomorrow (default) and today side by
  side, per plan the allocated / waiting counts; a day's drill-down lists each group with
  the chosen post and every waiting post's reason.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import current_principal, required_principal
from app.auth.scope import scope_clause, scoped
from app.clock import shanghai_day
from app.extensions import db
from app.web.form_input import form_values
from app.web.listing import paginate, query_day
from app.web.pages import pages_blueprint
from community.models import SEGMENTS, STAGES, ContentPost, PushPlan, SlotAllocation, WecomGroup
from community.schemas import PlanSchema
from community.services import allocation, receiving_limit, replan_trigger, schedule
from community.services import plans as plan_service
from franchise.models import Franchisee, Region, Store

bp = pages_blueprint("community_plans", __name__, "/admin")

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@bp.route("/plans")
@page_roles(*HQ_ROLES)
def plans():
    """Every plan, most important first."""
    stmt = select(PushPlan).order_by(PushPlan.status, PushPlan.priority.desc(), PushPlan.id)
    return render_template("community/plans/list.html", page=paginate(stmt), weekdays=WEEKDAYS)


def _choices() -> dict:
    return {
        "posts": db.session.scalars(
            select(ContentPost).where(ContentPost.status == "active").order_by(ContentPost.id)
        ).all(),
        "regions": db.session.scalars(select(Region).order_by(Region.id)).all(),
        "franchisees": db.session.scalars(select(Franchisee).order_by(Franchisee.id)).all(),
        "stores": db.session.scalars(select(Store).order_by(Store.id)).all(),
        "stages": STAGES,
        "segments": SEGMENTS,
        "weekdays": WEEKDAYS,
    }


LIST_KEYS: tuple[str, ...] = ("stages", "segments", "region_ids", "franchisee_ids", "store_ids")
LIST_KEYS += ("weekdays", "group_ids")
GROUP_SEARCH_LIMIT = 30


def _shown(form) -> dict:
    """The posted form as typed, to show again beside its errors."""
    return {**form.to_dict(), **{key: form.getlist(key) for key in LIST_KEYS}}


def _plan_data(plan: PushPlan | None) -> dict:
    if plan is None:
        return {
            "schedule_kind": "weekly",
            "send_time": "10:00",
            "priority": 50,
            "weekdays": [],
            "status": "active",
        }
    data = {}
    for key in (
        "name",
        "post_id",
        "stages",
        "segments",
        "region_ids",
        "franchisee_ids",
        "store_ids",
        "schedule_kind",
        "weekdays",
        "relative_day",
        "send_time",
        "quiet_start",
        "quiet_end",
        "priority",
        "status",
        "window_from",
        "window_to",
        "group_ids",
    ):
        data[key] = getattr(plan, key)
    data["dates"] = " ".join(plan.dates or [])
    data["active_from"] = plan.active_from.isoformat() if plan.active_from else ""
    data["active_until"] = plan.active_until.isoformat() if plan.active_until else ""
    return data


def _str_list(values) -> list[str]:
    return [str(v) for v in (values or [])]


def _found_groups(query: str, chosen: list[str]) -> list:
    """Groups to tick: the chosen ones, then active groups whose name holds ``query``."""
    ids = [int(i) for i in chosen if i.isdigit()]
    rows = list(
        db.session.execute(
            select(WecomGroup.id, WecomGroup.name).where(WecomGroup.id.in_(ids))
        ).all()
    )
    if query.strip():
        pattern = "%" + query.strip().replace("%", r"\%").replace("_", r"\_") + "%"
        rows += db.session.execute(
            select(WecomGroup.id, WecomGroup.name)
            .where(
                WecomGroup.status == "active",
                WecomGroup.name.like(pattern, escape="\\"),
                WecomGroup.id.not_in(ids),
            )
            .order_by(WecomGroup.name)
            .limit(GROUP_SEARCH_LIMIT)
        ).all()
    return rows


def _edit(plan: PushPlan | None):
    """The editor: ``action`` = ``find`` (groups by name), ``preview`` (the reach this plan
    would get, nothing saved) or save (refused while it would miss occurrences and
    ``confirm_missed`` is not ticked)."""
    errors: dict = {}
    status = 200
    reach = None
    action = request.form.get("action", "save")
    if request.method == "POST":
        data = _shown(request.form)
        values = form_values(PlanSchema(), request.form)
        try:
            if action == "preview":
                reach = schedule.preview(values, plan)
            elif action != "find":
                user_id = required_principal().user_id
                saved = schedule.save_after_preview(values, plan, user_id=user_id)
                flash(_("Plan saved."), "success")
                return redirect(url_for("community_plans.edit", object_id=saved.id), 303)
        except plan_service.PlanInvalid as exc:
            flash(exc.message, "error")
            errors, status = exc.errors, 422
            if "confirm_missed" in errors:
                reach = schedule.preview(values, plan)
    else:
        data = _plan_data(plan)
        reach = schedule.reach(plan) if plan is not None else None
    selected = {k: _str_list(data.get(k)) for k in LIST_KEYS}
    return render_template(
        "community/plans/form.html",
        plan=plan,
        data=data,
        selected=selected,
        errors=errors,
        reach=reach,
        preview=request.method == "POST",
        found=_found_groups(request.form.get("group_q", ""), selected["group_ids"]),
        policy=receiving_limit.describe(),
        replanning=plan is not None and replan_trigger.replan_pending(),
        **_choices(),
    ), status


@bp.route("/plans/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def new():
    return _edit(None)


@bp.route("/plans/<int:object_id>", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def edit(object_id: int):
    return _edit(plan_service.get_plan(object_id))


def _day_arg(default: date) -> date:
    return query_day("day", default)


@bp.route("/allocation", endpoint="allocation")
@page_roles(*ADMIN_UI_ROLES)
def allocation_page():
    """Tomorrow and today per plan; ``?day=&detail=1`` drills into one day's groups."""
    today = shanghai_day()
    day = _day_arg(today + timedelta(days=1))
    clause = scope_clause(SlotAllocation, current_principal())
    if request.args.get("detail"):
        stmt = (
            select(SlotAllocation, WecomGroup.name, ContentPost.title)
            .join(WecomGroup, WecomGroup.id == SlotAllocation.group_id)
            .join(ContentPost, ContentPost.id == SlotAllocation.post_id)
            .where(SlotAllocation.day == day)
            .order_by(
                SlotAllocation.group_id, SlotAllocation.status, SlotAllocation.priority.desc()
            )
        )
        plan_id = request.args.get("plan_id", "")
        if plan_id.isdigit():
            stmt = stmt.where(SlotAllocation.plan_id == int(plan_id))
        status = request.args.get("status")
        if status in ("allocated", "waiting"):
            stmt = stmt.where(SlotAllocation.status == status)
        stmt = scoped(stmt, SlotAllocation)
        return render_template(
            "community/plans/allocation_day.html", day=day, page=paginate(stmt), status=status
        )
    days = sorted({day, today, today + timedelta(days=1)})
    columns: list[dict[str, Any]] = [
        {"day": d, "plans": allocation.day_summary(d, clause), "is_today": d == today} for d in days
    ]
    for col in columns:
        col["allocated"] = sum(p["allocated"] for p in col["plans"])
        col["waiting"] = sum(p["waiting"] for p in col["plans"])
    return render_template(
        "community/plans/allocation.html",
        policy=receiving_limit.describe(),
        columns=columns,
        day=day,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
    )
