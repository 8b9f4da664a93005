"""CONTRACT: the planner's JSON API.

* ``GET /api/v1/settings/receiving-limit`` (HQ) → ``{"policy": "month" | "week" | "day",
  "label", "daily_cap"}``; ``PUT`` with ``{"policy"}`` (and optionally ``daily_cap``)
  changes it and re-plans; anything else → 422 naming the field.
* ``GET /api/v1/schedule?from=YYYY-MM-DD&days=N`` (HQ; owners and guides scoped) →
  paginated items ``{"date", "group_id", "plan_id", "content_id", "status", "reason"}``
  (plus ``group_name``, ``plan_name``), status one of scheduled, pending, sent, missed;
  filters ``plan_id``, ``group_id``, ``status``; the policy beside them.
* ``GET /api/v1/plans/{id}/reach`` (HQ) → ``{"groups", "occurrences", "scheduled",
  "at_risk", "missed", ...}`` over the horizon from today.
* ``POST /api/v1/plans/preview`` (HQ) → the reach a plan body would get, with the
  occurrences it would miss and why, nothing saved.
"""

from __future__ import annotations

from flask.views import MethodView

from app.auth.decorators import api_roles
from app.auth.models import HQ_ROLES, STAFF_ROLES
from app.auth.scope import scoped
from app.extensions import api_blueprint
from app.list_query import where_given
from app.schemas import page_of, url_id
from community.models import SlotAllocation
from community.schemas import (
    PlanSchema,
    ReachSchema,
    ReceivingLimitSchema,
    SchedulePageSchema,
    ScheduleQuerySchema,
)
from community.services import plans as plan_service
from community.services import receiving_limit, schedule

blp = api_blueprint(
    "community_schedule_api",
    __name__,
    "Community: receiving limit, the planner's schedule and each plan's reach",
)


@blp.route("/settings/receiving-limit")
class ReceivingLimit(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, ReceivingLimitSchema)
    def get(self):
        """The corp's receiving-limit policy and Siyu's daily cap."""
        return receiving_limit.describe()

    @api_roles(*HQ_ROLES)
    @blp.arguments(ReceivingLimitSchema)
    @blp.response(200, ReceivingLimitSchema)
    @blp.alt_response(422, description="Not month, week or day; errors name the field")
    def put(self, body):
        """Set the policy as the corp's WeCom admin configured it; re-plans."""
        return receiving_limit.update(body["policy"], body.get("daily_cap"))


@blp.route("/schedule")
class Schedule(MethodView):
    @api_roles(*STAFF_ROLES)
    @blp.arguments(ScheduleQuerySchema, location="query")
    @blp.response(200, SchedulePageSchema)
    def get(self, args):
        """What each group gets each day (scoped to the caller)."""
        first = args["from_"]
        last = first.fromordinal(first.toordinal() + args["days"] - 1)
        stmt = schedule.rows_stmt(first, last)
        stmt = where_given(stmt, SlotAllocation, args, ("plan_id", "group_id"))
        if args.get("status"):
            stmt = stmt.where(schedule.status_clause(args["status"]))
        stmt = scoped(stmt, SlotAllocation).order_by(
            SlotAllocation.day, SlotAllocation.group_id, SlotAllocation.priority.desc()
        )
        page = page_of(stmt, args, rows=True)
        items = [schedule.item(row) for row in page["items"]]
        return {**page, "items": items, "policy": receiving_limit.describe()}


@blp.route("/plans/<int:plan_id>/reach")
class PlanReach(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, ReachSchema)
    @blp.alt_response(404, description="No such plan")
    def get(self, plan_id):
        """The plan's schedule over the horizon: groups, occurrences, scheduled, at risk,
        missed."""
        return schedule.reach(plan_service.get_plan(url_id(plan_id)))


@blp.route("/plans/preview")
class PlanPreview(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(PlanSchema)
    @blp.response(200, ReachSchema)
    @blp.alt_response(422, description="Invalid plan; errors name the field")
    def post(self, body):
        """The reach a plan would get under the current policy; nothing is saved."""
        return schedule.preview(body)
