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
from sqlalchemy import bindparam, or_, select

from app.auth.decorators import api_roles
from app.auth.models import HQ_ROLES, STAFF_ROLES
from app.auth.principal import current_principal, required_principal
from app.auth.scope import get_scoped_or_404, scope_key, scope_on, scoped
from app.extensions import api_blueprint, db
from app.fast_page import ShapedList, compile_dump, json_response
from community.models.groups import GroupStageChange, WecomGroup
from community.schemas import (
    BenchmarkSchema,
    GroupDetailSchema,
    GroupPageSchema,
    GroupQuerySchema,
    GroupSchema,
    StageOverrideSchema,
)
from community.services import stages as stage_service

blp = api_blueprint(
    "community_groups_api",
    __name__,
    "Community: WeCom customer groups, lifecycle stages and segments",
)

READERS = STAFF_ROLES
LIST_SELECT = select(*(getattr(WecomGroup, name) for name in GroupSchema().dump_fields))
_EQUALS = ("stage", "segment", "store_id", "region_id", "franchisee_id", "guide_id", "status")


def filter_values(args: dict) -> dict:
    """The filters ``args`` gives as the values the SQL compares with (``status``
    defaults to active; ``q`` as a LIKE pattern), in one order: their names are a list
    statement's shape (``is_benchmark``, a boolean written into the SQL, goes apart)."""
    values = {key: args[key] for key in _EQUALS[:-1] if args.get(key) is not None}
    values["status"] = args.get("status", "active")
    if args.get("q"):
        values["like"] = f"%{args['q'].strip()}%"
    return values


def _narrowed(stmt, values: dict, is_benchmark):
    """``stmt`` filtered by ``filter_values``' answer (each a value or a ``bindparam``)
    and ``is_benchmark`` (None: either), newest first."""
    for key in _EQUALS:
        if key in values:
            stmt = stmt.where(getattr(WecomGroup, key) == values[key])
    if is_benchmark is not None:
        stmt = stmt.where(WecomGroup.is_benchmark.is_(bool(is_benchmark)))
    if "like" in values:
        like = values["like"]
        stmt = stmt.where(or_(WecomGroup.name.ilike(like), WecomGroup.chat_id.ilike(like)))
    return stmt.order_by(WecomGroup.id.desc())


def group_stmt(args: dict, base=None):
    """Groups the caller may see, filtered by ``args`` (newest first); ``base`` is the
    select to filter (default ``select(WecomGroup)``)."""
    stmt = scoped(select(WecomGroup) if base is None else base, WecomGroup)
    return _narrowed(stmt, filter_values(args), args.get("is_benchmark"))


def _list_statement(shape: tuple[str, tuple[str, ...], bool | None]):
    """The list's select for a scope column, the filters given and ``is_benchmark``,
    built once: the scope's id and the filters' values are bound parameters."""
    column, names, is_benchmark = shape
    clause = scope_on(WecomGroup, column, bindparam("scope_id"))
    stmt = LIST_SELECT if clause is None else LIST_SELECT.where(clause)
    return _narrowed(stmt, {name: bindparam(name) for name in names}, is_benchmark)


GROUP_LIST = ShapedList(
    _list_statement, compile_dump(GroupSchema, columns=list(GroupSchema().dump_fields))
)


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
        """List customer groups (filters: stage, segment, store_id, region_id, franchisee_id, q).

        One statement (the columns of ``GroupSchema`` and the count) built once per
        scope column and filters given (``app.fast_page.ShapedList``), dumped by
        ``GroupSchema`` compiled: the same JSON, less work."""
        column, scope_id = scope_key(WecomGroup, current_principal())
        values = filter_values(args)
        benchmark = args.get("is_benchmark")
        shape = (column, tuple(values), None if benchmark is None else bool(benchmark))
        page = GROUP_LIST.page(shape, args, {"scope_id": scope_id, **values})
        return json_response(page)


@blp.route("/groups/<int:group_id>")
class GroupItem(MethodView):
    @api_roles(*READERS)
    @blp.response(200, GroupDetailSchema)
    @blp.alt_response(404, description="No such group, or not yours")
    def get(self, group_id):
        """One group with its stage history."""
        return _detail(get_scoped_or_404(WecomGroup, group_id))


@blp.route("/groups/<int:group_id>/stage")
class GroupStage(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(StageOverrideSchema)
    @blp.response(200, GroupDetailSchema)
    @blp.alt_response(404, description="No such group")
    @blp.alt_response(409, description="Release asked for a stage that is not overridden")
    def post(self, body, group_id):
        """Override the stage with a reason (pins it), or release the pin (HQ)."""
        group = get_scoped_or_404(WecomGroup, group_id)
        actor = required_principal().user_id
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
        group = get_scoped_or_404(WecomGroup, group_id)
        return stage_service.set_benchmark(group, body["is_benchmark"])
