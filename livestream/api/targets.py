"""Targets API: read and set a campaign's targets and its reward / penalty rules.

* ``GET /api/v1/campaigns/{id}/targets?level=region|franchisee|store`` (HQ, owners):
  ``progress.progress`` rows plus ``id`` (the target row, null for a unit with actuals
  only), ``weight_bps`` and ``weight_manual``. Owners see only their franchise's units;
  region rows are HQ-only (403).
* ``PUT /api/v1/campaigns/{id}/targets`` (HQ): ``{"regions": [{"region_id", metrics}]}``
  sets the regions' figures and cascades; answers the region rows.
* ``PATCH /api/v1/campaigns/{id}/targets/{target_id}`` (HQ): ``{"weight_bps"}`` or metric
  values of one unit; answers that level's rows.
* ``POST /api/v1/campaigns/{id}/targets/reset`` (HQ): forget manual weights, recascade.
* ``GET/POST /api/v1/campaigns/{id}/rules``, ``DELETE .../rules/{rule_id}`` (HQ writes).
"""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, HQ_ROLES
from app.auth.principal import required_principal
from app.extensions import api_blueprint
from app.schemas import MAX_ID
from livestream.models import CampaignTarget, RewardRule
from livestream.models.targets import (
    LEVEL_FRANCHISEE,
    LEVEL_REGION,
    METRICS,
    TARGET_LEVELS,
)
from livestream.schemas import LiveRuleSchema, TargetProgressRowSchema, figure
from livestream.services import targets as service
from livestream.services.access import campaign_or_404, campaign_row_or_404

blp = api_blueprint("livestream_targets_api", __name__, "Livestream: targets")


class LiveTargetQuerySchema(Schema):
    level = fields.String(load_default=LEVEL_REGION, validate=validate.OneOf(TARGET_LEVELS))


class LiveTargetRowSchema(TargetProgressRowSchema):
    id = fields.Integer(allow_none=True)
    weight_bps = fields.Integer()
    weight_manual = fields.Boolean()
    region_id = fields.Integer(allow_none=True)
    franchisee_id = fields.Integer(allow_none=True)


class LiveTargetListSchema(Schema):
    campaign_id = fields.Integer()
    level = fields.String()
    items = fields.List(fields.Nested(LiveTargetRowSchema))


class LiveRegionFiguresSchema(Schema):
    region_id = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_ID))
    new_customers = figure()
    group_joins = figure()
    appointments = figure()
    gmv_fen = figure("gmv_fen")


class LiveRegionTargetsSchema(Schema):
    regions = fields.List(
        fields.Nested(LiveRegionFiguresSchema), required=True, validate=validate.Length(1, 200)
    )

    @validates_schema
    def unique_regions(self, data, **kwargs):
        ids = [r["region_id"] for r in data.get("regions", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("Each region once.", "regions")


class LiveTargetPatchSchema(Schema):
    weight_bps = fields.Integer(strict=True, validate=validate.Range(0, service.FULL_BPS))
    new_customers = figure()
    group_joins = figure()
    appointments = figure()
    gmv_fen = figure("gmv_fen")

    @validates_schema
    def one_kind(self, data, **kwargs):
        figures = [m for m in METRICS if m in data]
        if "weight_bps" in data and figures:
            raise ValidationError("Send a weight or figures, not both.", "weight_bps")
        if "weight_bps" not in data and not figures:
            raise ValidationError("Send a weight or at least one figure.", "weight_bps")


class LiveRuleListSchema(Schema):
    items = fields.List(fields.Nested(LiveRuleSchema))


def _listing(campaign_id: int, level: str) -> dict:
    principal = required_principal()
    if level == LEVEL_REGION and not principal.is_hq:
        abort(403)
    return {
        "campaign_id": campaign_id,
        "level": level,
        "items": service.target_rows(campaign_id, level),
    }


@blp.route("/campaigns/<int:campaign_id>/targets")
class CampaignTargets(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(LiveTargetQuerySchema, location="query")
    @blp.response(200, LiveTargetListSchema)
    @blp.alt_response(404, description="No such campaign for the caller")
    def get(self, args, campaign_id):
        """Targets vs actuals of one level, with weights (owners: their units only)."""
        campaign = campaign_or_404(campaign_id)
        return _listing(campaign.id, args["level"])

    @api_roles(*HQ_ROLES)
    @blp.arguments(LiveRegionTargetsSchema)
    @blp.response(200, LiveTargetListSchema)
    def put(self, data, campaign_id):
        """Set the regions' figures (metrics not sent stay) and cascade them."""
        principal = required_principal()
        campaign = campaign_or_404(campaign_id)
        regions = {r["region_id"]: {m: r[m] for m in METRICS if m in r} for r in data["regions"]}
        service.set_region_targets(campaign.id, regions, principal.user_id)
        return _listing(campaign.id, LEVEL_REGION)


@blp.route("/campaigns/<int:campaign_id>/targets/<int:target_id>")
class CampaignTargetItem(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(LiveTargetPatchSchema)
    @blp.response(200, LiveTargetListSchema)
    def patch(self, data, campaign_id, target_id):
        """A unit's weight (bps, marked manual) or figures; siblings rebalance."""
        campaign = campaign_or_404(campaign_id)
        row = campaign_row_or_404(CampaignTarget, target_id, campaign.id, "Target not found")
        level = row.level
        if "weight_bps" in data:
            service.set_weight(row.id, data["weight_bps"])
        else:
            service.set_unit_targets(row.id, {m: data[m] for m in METRICS if m in data})
        return _listing(campaign.id, level)


@blp.route("/campaigns/<int:campaign_id>/targets/reset")
class CampaignTargetsReset(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, LiveTargetListSchema)
    def post(self, campaign_id):
        """Forget every manual weight and cascade from the 90-day GMV weights."""
        campaign = campaign_or_404(campaign_id)
        service.reset_weights(campaign.id)
        return _listing(campaign.id, LEVEL_FRANCHISEE)


@blp.route("/campaigns/<int:campaign_id>/rules")
class CampaignRules(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.response(200, LiveRuleListSchema)
    def get(self, campaign_id):
        """The campaign's reward and penalty rules."""
        campaign = campaign_or_404(campaign_id)
        return {"items": service.rules(campaign.id)}

    @api_roles(*HQ_ROLES)
    @blp.arguments(LiveRuleSchema)
    @blp.response(201, LiveRuleSchema)
    def post(self, data, campaign_id):
        """Add a rule: reward when achievement ≥ threshold, penalty when below."""
        campaign = campaign_or_404(campaign_id)
        return service.save_rule(campaign.id, data)


@blp.route("/campaigns/<int:campaign_id>/rules/<int:rule_id>")
class CampaignRule(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(204)
    def delete(self, campaign_id, rule_id):
        """Delete a rule of the campaign."""
        campaign = campaign_or_404(campaign_id)
        rule = campaign_row_or_404(RewardRule, rule_id, campaign.id, "Rule not found")
        service.delete_rule(rule.id)
