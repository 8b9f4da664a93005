"""Staff JSON API for the content library, push plans and the day's allocations.

* ``GET/POST /api/v1/content`` (HQ): posts, filter ``purpose``; a post over WeCom's limits
  → 422 envelope whose ``errors`` name the field (``text``, ``attachments.0.link.title``).
* ``GET/POST /api/v1/plans`` (HQ): push plans (targets, schedule, quiet hours, priority).
* ``GET /api/v1/allocations?day=YYYY-MM-DD`` (HQ, owners and guides scoped): the slots.
"""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from app.auth.decorators import api_roles
from app.auth.models import HQ_ROLES, STAFF_ROLES
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.extensions import api_blueprint
from app.schemas import PageQuerySchema, page_of, page_schema
from community.models import PushPlan, SlotAllocation
from community.schemas import (
    AllocationQuerySchema,
    AllocationSchema,
    PlanSchema,
    PostQuerySchema,
    PostSchema,
)
from community.services import content as content_service
from community.services import schedule

blp = api_blueprint(
    "community_content_api",
    __name__,
    "Community: content library, push plans and daily allocations",
)


@blp.route("/content")
class Posts(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(PostQuerySchema, location="query")
    @blp.response(200, page_schema(PostSchema, "PostPage"))
    def get(self, args):
        """List posts (HQ), newest first."""
        return page_of(content_service.list_posts(args.get("purpose")), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(PostSchema)
    @blp.response(201, PostSchema)
    @blp.alt_response(422, description="Over WeCom's limits; errors name the field")
    def post(self, body):
        """Create a post, validated against WeCom's limits."""
        principal = required_principal()
        return content_service.save_post(body, user_id=principal.user_id)


@blp.route("/plans")
class Plans(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_schema(PlanSchema, "PlanPage"))
    def get(self, args):
        """List push plans (HQ)."""
        return page_of(select(PushPlan).order_by(PushPlan.priority.desc(), PushPlan.id), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(PlanSchema)
    @blp.response(201, PlanSchema)
    @blp.alt_response(422, description="Invalid schedule or targets, or missed occurrences")
    def post(self, body):
        """Create a push plan; one whose occurrences would be missed under the current
        policy needs ``confirm_missed: true`` (after ``POST /api/v1/plans/preview``)."""
        principal = required_principal()
        return schedule.save_after_preview(body, user_id=principal.user_id)


@blp.route("/allocations")
class Allocations(MethodView):
    @api_roles(*STAFF_ROLES)
    @blp.arguments(AllocationQuerySchema, location="query")
    @blp.response(200, page_schema(AllocationSchema, "AllocationPage"))
    def get(self, args):
        """The day's slots (scoped to the caller's franchise / own groups)."""
        stmt = select(SlotAllocation).where(SlotAllocation.day == args["day"])
        if args.get("status"):
            stmt = stmt.where(SlotAllocation.status == args["status"])
        if args.get("group_id"):
            stmt = stmt.where(SlotAllocation.group_id == args["group_id"])
        stmt = scoped(stmt.order_by(SlotAllocation.group_id, SlotAllocation.id), SlotAllocation)
        return page_of(stmt, args)
