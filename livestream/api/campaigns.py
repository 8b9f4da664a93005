"""Campaign API: list (contract), create, read, update, status, timeline steps.

CONTRACT ``GET /api/v1/campaigns`` (HQ, owners, guides — each sees what
``access.visible_campaigns`` allows) → ``{"items": [{id, name, mode, status, live_at,
phase, store_count}], "total", "page", "per_page"}``; filters ``mode``, ``status``, ``q``
(name contains). ``GET /api/v1/campaigns/{id}`` adds stores, sessions, line-up and the
timeline with each step's state. Writes are HQ only; bad input is 422, illegal status
moves 409 with the allowed next states in ``errors.allowed``.
"""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import bindparam, func, select

from app.auth.decorators import api_roles
from app.auth.models import HQ_ROLES, STAFF_ROLES
from app.auth.principal import current_principal, required_principal
from app.clock import as_utc, shanghai_day
from app.db import LIKE_ESCAPE, like_escaped
from app.extensions import api_blueprint, db
from app.fast_page import ShapedList, compile_dump, json_response
from app.schemas import IdNameSchema, PageArgsSchema, page_schema
from livestream.models import Campaign, CampaignStore
from livestream.models.campaigns import CAMPAIGN_STATUSES, MODES
from livestream.schemas import CampaignInSchema, CampaignPatchSchema
from livestream.services import campaigns as service
from livestream.services import timeline
from livestream.services.access import campaign_or_404, visibility, visible_campaigns, visible_to
from livestream.services.campaign_list import LIST_SELECT

blp = api_blueprint("livestream_campaigns_api", __name__, "Livestream: campaigns")

MAX_ID = 2**31 - 1


class CampaignQuerySchema(PageArgsSchema):
    mode = fields.String(validate=validate.OneOf(MODES))
    status = fields.String(validate=validate.OneOf(CAMPAIGN_STATUSES))
    q = fields.String(validate=validate.Length(max=64))


class CampaignItemSchema(IdNameSchema):
    mode = fields.String()
    status = fields.String()
    live_at = fields.DateTime()
    phase = fields.String()
    store_count = fields.Integer()


CampaignPageSchema = page_schema(CampaignItemSchema, "CampaignPage")


class StatusInSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(CAMPAIGN_STATUSES))


class StepInSchema(Schema):
    starts_on = fields.Date()
    due_on = fields.Date()
    title = fields.String(validate=validate.Length(1, 64))
    note = fields.String(validate=validate.Length(max=255))
    done = fields.Boolean()
    # required with done=true more than timeline.EARLY_DAYS days before the step's window
    early_reason = fields.String(validate=validate.Length(max=255))


def campaign_item(campaign: Campaign, store_count: int | None = None) -> dict:
    """The list view of a campaign (the contract's item)."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "mode": campaign.mode,
        "status": campaign.status,
        "live_at": as_utc(campaign.live_at),
        "phase": timeline.phase(campaign),
        "store_count": len(campaign.stores) if store_count is None else store_count,
    }


def campaign_detail(campaign: Campaign) -> dict:
    """The campaign with stores, sessions, line-up and the timeline board (JSON-ready)."""
    out = campaign_item(campaign)
    out.update(
        description=campaign.description,
        duration_minutes=campaign.duration_minutes,
        region_ids=campaign.region_ids or [],
        franchisee_ids=campaign.franchisee_ids or [],
        store_ids=campaign.store_ids or [],
        gate_threshold_pct=campaign.gate_threshold_pct,
        gate_requires_link_check=campaign.gate_requires_link_check,
        warmup_post_id=campaign.warmup_post_id,
        warmup_plan_id=campaign.warmup_plan_id,
        allowed_moves=list(service.allowed_moves(campaign)),
        stores=[
            {
                "store_id": row.store_id,
                "store_name": row.store.name if row.store else "",
                "franchisee_id": row.franchisee_id,
                "region_id": row.region_id,
            }
            for row in campaign.stores
        ],
        sessions=[
            {
                "id": s.id,
                "store_id": s.store_id,
                "franchisee_id": s.franchisee_id,
                "title": s.title,
                "starts_at": as_utc(s.starts_at).isoformat(),
                "duration_minutes": s.duration_minutes,
                "anchor_userid": s.anchor_userid,
                "living_id": s.living_id,
                "status": s.status,
                "viewer_count": s.viewer_count,
            }
            for s in campaign.sessions
        ],
        lineup=[
            {
                "id": item.id,
                "product_id": item.product_id,
                "product_name": item.product.name if item.product else "",
                "list_price_fen": item.product.price_fen if item.product else None,
                "live_price_fen": item.live_price_fen,
                "stock_cap": item.stock_cap,
                "coupon_template_id": item.coupon_template_id,
            }
            for item in campaign.lineup
        ],
        timeline=[
            {
                **step,
                "starts_on": step["starts_on"].isoformat(),
                "due_on": step["due_on"].isoformat(),
                "done_at": as_utc(step["done_at"]).isoformat() if step["done_at"] else None,
            }
            for step in timeline.board(campaign)
        ],
    )
    out["live_at"] = out["live_at"].isoformat()
    return out


def filter_values(args: dict) -> dict:
    """The list filters ``args`` gives, as the values the SQL compares with (``q`` as an
    escaped LIKE pattern), in one order: their names are a list statement's shape."""
    values = {name: args[name] for name in ("mode", "status") if args.get(name)}
    if args.get("q"):
        values["q"] = like_escaped(args["q"].strip())
    return values


def _narrowed(stmt, values: dict):
    """``stmt`` filtered by ``filter_values``' answer (each a value or a ``bindparam``),
    soonest live first."""
    if "mode" in values:
        stmt = stmt.where(Campaign.mode == values["mode"])
    if "status" in values:
        stmt = stmt.where(Campaign.status == values["status"])
    if "q" in values:
        stmt = stmt.where(Campaign.name.contains(values["q"], escape=LIKE_ESCAPE))
    return stmt.order_by(Campaign.live_at.desc(), Campaign.id.desc())


def filtered_campaigns(args: dict, base=None):
    """The visible campaigns matching the filters, soonest live first; ``base`` is the
    select to filter (default ``select(Campaign)``)."""
    return _narrowed(
        visible_campaigns(select(Campaign) if base is None else base), filter_values(args)
    )


def _list_statement(shape: tuple[str, tuple[str, ...]]):
    """The list's select for a caller's kind of visibility and the filters given, built
    once: the visibility's id and the filters' values are bound parameters."""
    kind, names = shape
    stmt = visible_to(LIST_SELECT, kind, bindparam("scope_id"))
    return _narrowed(stmt, {name: bindparam(name) for name in names})


CAMPAIGN_LIST = ShapedList(
    _list_statement,
    compile_dump(
        CampaignItemSchema,
        columns=list(LIST_SELECT.selected_columns.keys()),
        convert={"live_at": as_utc},
    ),
)


def store_counts(ids: list[int]) -> dict[int, int]:
    """``{campaign_id: participating stores}`` in one query."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(CampaignStore.campaign_id, func.count())
        .where(CampaignStore.campaign_id.in_(ids))
        .group_by(CampaignStore.campaign_id)
    )
    return dict(rows.all())


@blp.route("/campaigns")
class Campaigns(MethodView):
    @api_roles(*STAFF_ROLES)
    @blp.arguments(CampaignQuerySchema, location="query")
    @blp.response(200, CampaignPageSchema)
    def get(self, args):
        """CONTRACT: the campaigns the caller may see, newest live first, paginated.

        One statement (``livestream.services.campaign_list``) built once per kind of
        caller and filters given (``app.fast_page.ShapedList``), dumped by the item
        schema compiled: the JSON ``campaign_item`` gave."""
        kind, scope_id = visibility(current_principal())
        values = filter_values(args)
        params = {"today": shanghai_day(), "scope_id": scope_id, **values}
        return json_response(CAMPAIGN_LIST.page((kind, tuple(values)), args, params))

    @api_roles(*HQ_ROLES)
    @blp.arguments(CampaignInSchema)
    @blp.response(201)
    def post(self, data):
        """Create a draft campaign (participants, sessions, line-up, timeline)."""
        principal = required_principal()
        campaign = service.save_campaign(data, user_id=principal.user_id)
        return campaign_detail(campaign)


@blp.route("/campaigns/<int:campaign_id>")
class CampaignOne(MethodView):
    @api_roles(*STAFF_ROLES)
    @blp.response(200)
    @blp.alt_response(404, description="No such campaign for the caller")
    def get(self, campaign_id):
        """The campaign with stores, sessions, line-up and timeline states."""
        return campaign_detail(campaign_or_404(campaign_id))

    @api_roles(*HQ_ROLES)
    @blp.arguments(CampaignPatchSchema(partial=True))
    @blp.response(200)
    def patch(self, data, campaign_id):
        """Change the fields given (draft or scheduled campaigns only)."""
        campaign = campaign_or_404(campaign_id)
        return campaign_detail(service.save_campaign(data, campaign))


@blp.route("/campaigns/<int:campaign_id>/status")
class CampaignStatus(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(StatusInSchema)
    @blp.response(200)
    def post(self, data, campaign_id):
        """Move the status (draft → scheduled | cancelled, live → ended, ended → reviewed)."""
        principal = required_principal()
        campaign = campaign_or_404(campaign_id)
        service.set_status(campaign.id, data["to"], principal.user_id)
        return campaign_detail(campaign)


@blp.route("/campaigns/<int:campaign_id>/steps/<int:step_id>")
class CampaignStep(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(StepInSchema)
    @blp.response(200)
    def patch(self, data, campaign_id, step_id):
        """Edit a step's dates / title / note; ``done`` true marks it done, false reopens."""
        principal = required_principal()
        campaign = campaign_or_404(campaign_id)
        timeline.get_step(step_id, campaign.id)  # 404 before anything else
        if any(k in data for k in ("starts_on", "due_on", "title", "note")):
            timeline.edit_step(
                step_id,
                data.get("starts_on"),
                data.get("due_on"),
                data.get("title"),
                data.get("note"),
                campaign_id=campaign.id,
            )
        if data.get("done") is True:
            if timeline.get_step(step_id, campaign.id).done_at is None:
                timeline.mark_done(
                    step_id, principal.user_id, campaign.id, data.get("early_reason")
                )
        elif data.get("done") is False:
            timeline.reopen(step_id, campaign.id)
        return next(s for s in campaign_detail(campaign)["timeline"] if s["id"] == step_id)
