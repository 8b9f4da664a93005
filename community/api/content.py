"""Staff JSON API for the content library, push plans and the day's allocations.

* ``GET/POST /api/v1/content`` (HQ): posts, filter ``purpose``; a post over WeCom's limits
  → 422 envelope whose ``errors`` name the field (``text``, ``attachments.0.link.title``).
* ``GET/POST /api/v1/plans`` (HQ): push plans (targets, schedule, quiet hours, priority).
* ``GET /api/v1/allocations?day=YYYY-MM-DD`` (HQ, owners and guides scoped): the slots.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import current_principal
from app.auth.scope import scoped
from community.models import PURPOSES, SEGMENTS, STAGES, PushPlan, SlotAllocation
from community.services import content as content_service
from community.services import plans as plan_service
from franchise.api.org import page_of
from franchise.schemas import MAX_ID, PageQuerySchema, Text, page_schema

blp = Blueprint(
    "community_content_api",
    __name__,
    url_prefix="/api/v1",
    description="Community: content library, push plans and daily allocations",
)


def _ids(**kw):
    item = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID))
    return fields.List(item, validate=validate.Length(max=10000), **kw)


class PostSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = Text(required=True, validate=validate.Length(min=1, max=64))
    purpose = Text(required=True, validate=validate.OneOf(PURPOSES))
    text = fields.String(load_default="", validate=validate.Length(max=20000))
    attachments = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=50))
    coupon_template_id = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID)
    )
    status = Text(validate=validate.OneOf(("active", "archived")))
    created_at = fields.DateTime(dump_only=True)


class PostQuerySchema(PageQuerySchema):
    purpose = Text(validate=validate.OneOf(PURPOSES))


HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="HH:MM")


class PlanSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=64))
    post_id = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_ID))
    stages = fields.List(Text(validate=validate.OneOf(STAGES)), load_default=list)
    segments = fields.List(Text(validate=validate.OneOf(SEGMENTS)), load_default=list)
    region_ids = _ids(load_default=list)
    franchisee_ids = _ids(load_default=list)
    store_ids = _ids(load_default=list)
    group_ids = _ids(load_default=list)
    schedule_kind = Text(
        load_default="weekly", validate=validate.OneOf(plan_service.SCHEDULE_KINDS)
    )
    weekdays = fields.List(
        fields.Integer(strict=True, validate=validate.Range(0, 6)), load_default=list
    )
    dates = fields.List(
        Text(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="YYYY-MM-DD")),
        load_default=list,
        validate=validate.Length(max=366),
    )
    relative_day = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 3650))
    send_time = Text(load_default="10:00", validate=HHMM)
    quiet_start = Text(allow_none=True, validate=HHMM)
    quiet_end = Text(allow_none=True, validate=HHMM)
    priority = fields.Integer(strict=True, load_default=50, validate=validate.Range(0, 1000))
    active_from = fields.Date(allow_none=True)
    active_until = fields.Date(allow_none=True)
    status = Text(load_default="active", validate=validate.OneOf(("active", "paused", "ended")))
    template_id = fields.Integer(dump_only=True, allow_none=True)


class AllocationSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    plan_id = fields.Integer()
    post_id = fields.Integer()
    group_id = fields.Integer()
    guide_id = fields.Integer(allow_none=True)
    priority = fields.Integer()
    status = fields.String()
    reason = fields.String()
    send_at = fields.DateTime(allow_none=True)
    batch_id = fields.Integer(allow_none=True)


class AllocationQuerySchema(PageQuerySchema):
    day = fields.Date(required=True)
    status = Text(validate=validate.OneOf(("allocated", "waiting")))
    group_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


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
        principal = current_principal()
        assert principal is not None  # the view requires a login
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
    @blp.alt_response(422, description="Invalid schedule or targets")
    def post(self, body):
        """Create a push plan."""
        principal = current_principal()
        assert principal is not None  # the view requires a login
        return plan_service.save_plan(body, user_id=principal.user_id)


@blp.route("/allocations")
class Allocations(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER, GUIDE)
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
