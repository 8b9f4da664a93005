"""JSON API for customer groups (``/api/v1/groups``) — a stable contract.

* ``GET /groups`` (HQ, franchise owners, guides — each scoped: an owner sees their
  franchise's groups, a guide their own): filters ``stage``, ``segment``, ``store_id``,
  ``region_id``, ``franchisee_id``, ``status``, ``q``; ``{"items","total","page","per_page"}``
  with ``id``, ``chat_id``, ``name``, ``stage``, ``segment``, ``member_count``, ``store_id``,
  ``guide_id``, ``franchisee_id``, ``is_benchmark`` ….
* ``GET /groups/{id}``: one group with its stage history (404 outside the caller's scope).
* ``POST /groups/{id}/stage`` (HQ): override ``{"stage", "reason"}``, or release the pin
  with ``{"release": true}``.
* ``POST /groups/{id}/benchmark`` (HQ): ``{"is_benchmark": bool}``.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError
from sqlalchemy import or_, select

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import current_principal
from app.auth.scope import scoped
from app.extensions import db
from community.models.groups import SEGMENTS, STAGES, GroupStageChange, WecomGroup
from community.services import stages as stage_service
from franchise.queries import scoped_or_404
from franchise.schemas import MAX_ID, PageQuerySchema, Text, page_schema

blp = Blueprint(
    "community_groups_api",
    __name__,
    url_prefix="/api/v1",
    description="Community: WeCom customer groups, lifecycle stages and segments",
)

READERS = (*HQ_ROLES, FRANCHISE_OWNER, GUIDE)


class StrictBoolean(fields.Boolean):
    """A JSON ``true`` / ``false`` only (``"yes"`` and ``1`` are refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _query_id():
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class GroupQuerySchema(PageQuerySchema):
    stage = fields.String(validate=validate.OneOf(STAGES))
    segment = fields.String(validate=validate.OneOf(SEGMENTS))
    status = fields.String(validate=validate.OneOf(("active", "dismissed")))
    store_id = _query_id()
    region_id = _query_id()
    franchisee_id = _query_id()
    guide_id = _query_id()
    is_benchmark = fields.Boolean()


class StageChangeSchema(Schema):
    id = fields.Integer()
    from_stage = fields.String(allow_none=True)
    to_stage = fields.String()
    rule = fields.String()
    figures = fields.Dict()
    reason = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class GroupSchema(Schema):
    id = fields.Integer()
    chat_id = fields.String()
    name = fields.String()
    stage = fields.String()
    stage_overridden = fields.Boolean()
    segment = fields.String()
    split_suggested = fields.Boolean()
    member_count = fields.Integer()
    customer_count = fields.Integer()
    purchased_count = fields.Integer()
    store_id = fields.Integer(allow_none=True)
    guide_id = fields.Integer(allow_none=True)
    franchisee_id = fields.Integer(allow_none=True)
    region_id = fields.Integer(allow_none=True)
    owner_userid = fields.String()
    status = fields.String()
    is_benchmark = fields.Boolean()
    wecom_created_at = fields.DateTime(allow_none=True)
    synced_at = fields.DateTime(allow_none=True)


class GroupDetailSchema(GroupSchema):
    notice = fields.String()
    stage_history = fields.List(fields.Nested(StageChangeSchema))


GroupPageSchema = page_schema(GroupSchema, "GroupPage")


class StageOverrideSchema(Schema):
    stage = fields.String(validate=validate.OneOf(STAGES))
    reason = Text(validate=validate.Length(min=1, max=255))
    release = StrictBoolean(load_default=False)

    @validates_schema
    def _stage_or_release(self, data, **kwargs):
        if data.get("release"):
            return
        missing = {k: ["Required."] for k in ("stage", "reason") if not data.get(k)}
        if missing:
            raise MarshmallowValidationError(missing)


class BenchmarkSchema(Schema):
    is_benchmark = StrictBoolean(required=True)


def group_stmt(args: dict):
    """Groups the caller may see, filtered by ``args`` (newest first)."""
    stmt = scoped(select(WecomGroup), WecomGroup)
    for key in ("stage", "segment", "store_id", "region_id", "franchisee_id", "guide_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(WecomGroup, key) == args[key])
    stmt = stmt.where(WecomGroup.status == args.get("status", "active"))
    if args.get("is_benchmark") is not None:
        stmt = stmt.where(WecomGroup.is_benchmark.is_(bool(args["is_benchmark"])))
    if args.get("q"):
        like = f"%{args['q'].strip()}%"
        stmt = stmt.where(or_(WecomGroup.name.ilike(like), WecomGroup.chat_id.ilike(like)))
    return stmt.order_by(WecomGroup.id.desc())


def stage_history(group_id: int) -> list[GroupStageChange]:
    """A group's stage changes, newest first."""
    return list(
        db.session.scalars(
            select(GroupStageChange)
            .where(GroupStageChange.group_id == group_id)
            .order_by(GroupStageChange.id.desc())
        )
    )


def _detail(group: WecomGroup) -> dict:
    names = [n for n in GroupDetailSchema().fields if n != "stage_history"]
    data = {name: getattr(group, name) for name in names}
    data["stage_history"] = stage_history(group.id)
    return data


@blp.route("/groups")
class Groups(MethodView):
    @api_roles(*READERS)
    @blp.arguments(GroupQuerySchema, location="query")
    @blp.response(200, GroupPageSchema)
    def get(self, args):
        """List customer groups (filters: stage, segment, store_id, region_id, franchisee_id, q)."""
        from franchise.api.org import page_of

        return page_of(group_stmt(args), args)


@blp.route("/groups/<int:group_id>")
class GroupItem(MethodView):
    @api_roles(*READERS)
    @blp.response(200, GroupDetailSchema)
    @blp.alt_response(404, description="No such group, or not yours")
    def get(self, group_id):
        """One group with its stage history."""
        return _detail(scoped_or_404(WecomGroup, group_id))


@blp.route("/groups/<int:group_id>/stage")
class GroupStage(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(StageOverrideSchema)
    @blp.response(200, GroupDetailSchema)
    @blp.alt_response(404, description="No such group")
    @blp.alt_response(409, description="Release asked for a stage that is not overridden")
    def post(self, body, group_id):
        """Override the stage with a reason (pins it), or release the pin (HQ)."""
        principal = current_principal()
        assert principal is not None  # the view requires a login
        group = scoped_or_404(WecomGroup, group_id)
        actor = principal.user_id
        if body.get("release"):
            stage_service.release(group, actor, body.get("reason") or "")
        else:
            stage_service.override(group, body["stage"], body["reason"], actor)
        return _detail(group)


@blp.route("/groups/<int:group_id>/benchmark")
class GroupBenchmark(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(BenchmarkSchema)
    @blp.response(200, GroupSchema)
    @blp.alt_response(404, description="No such group")
    def post(self, body, group_id):
        """Mark or unmark a group as a benchmark (HQ)."""
        group = scoped_or_404(WecomGroup, group_id)
        return stage_service.set_benchmark(group, body["is_benchmark"])
