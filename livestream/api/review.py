"""Review API: a campaign's figures against targets.

``GET /api/v1/campaigns/{id}/review?level=region|franchisee|store|guide`` (HQ, franchise
owners) → ``{campaign_id, level, totals, rows, leaderboards, outcomes, outcome_totals}``
(see ``livestream.services.review``). Owners get their own franchise only: totals of
their franchisee, their units' rows, leaderboards and rule outcomes; region rows are
HQ-only (403), and their default level is ``franchisee`` (HQ: ``region``).
"""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, HQ_ROLES
from app.auth.principal import required_principal
from app.extensions import api_blueprint
from livestream.models.targets import LEVEL_FRANCHISEE, LEVEL_REGION
from livestream.schemas import TargetProgressRowSchema, TargetProgressSchema
from livestream.services import review as service
from livestream.services.access import campaign_or_404

blp = api_blueprint("livestream_review_api", __name__, "Livestream: review")


class ReviewQuerySchema(Schema):
    level = fields.String(validate=validate.OneOf(service.LEVELS))


class ReviewRowSchema(TargetProgressRowSchema):
    store_id = fields.Integer(allow_none=True)
    store_name = fields.String()


class ReviewBoardEntrySchema(Schema):
    rank = fields.Integer()
    ref_id = fields.Integer()
    name = fields.String()
    store_name = fields.String()
    value = fields.Raw()


class ReviewLeaderboardsSchema(Schema):
    stores_by_gmv = fields.List(fields.Nested(ReviewBoardEntrySchema))
    guides_by_gmv = fields.List(fields.Nested(ReviewBoardEntrySchema))
    guides_by_orders = fields.List(fields.Nested(ReviewBoardEntrySchema))
    stores_by_conversion = fields.List(fields.Nested(ReviewBoardEntrySchema))
    furthest_behind = fields.List(fields.Nested(ReviewBoardEntrySchema))


class ReviewOutcomeSchema(Schema):
    rule_id = fields.Integer()
    kind = fields.String()
    level = fields.String()
    ref_id = fields.Integer()
    name = fields.String()
    metric = fields.String()
    threshold_pct = fields.Integer()
    target = fields.Integer()
    actual = fields.Integer()
    achievement_pct = fields.Float(allow_none=True)
    applies = fields.Boolean()
    amount_fen = fields.Integer()
    note = fields.String()
    skipped = fields.String(allow_none=True)


class ReviewOutcomeTotalsSchema(Schema):
    rewards = fields.Integer()
    reward_fen = fields.Integer()
    penalties = fields.Integer()
    penalty_fen = fields.Integer()


class ReviewSchema(Schema):
    campaign_id = fields.Integer()
    level = fields.String()
    totals = fields.Nested(TargetProgressSchema)
    rows = fields.List(fields.Nested(ReviewRowSchema))
    leaderboards = fields.Nested(ReviewLeaderboardsSchema)
    outcomes = fields.List(fields.Nested(ReviewOutcomeSchema))
    outcome_totals = fields.Nested(ReviewOutcomeTotalsSchema)


@blp.route("/campaigns/<int:campaign_id>/review")
class CampaignReview(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(ReviewQuerySchema, location="query")
    @blp.response(200, ReviewSchema)
    @blp.alt_response(404, description="No such campaign for the caller")
    def get(self, args, campaign_id):
        """GMV, orders, conversion and AOV against targets, leaderboards, rule outcomes."""
        campaign = campaign_or_404(campaign_id)
        principal = required_principal()
        franchisee_id = None if principal.is_hq else principal.franchisee_id
        level = args.get("level") or (LEVEL_REGION if principal.is_hq else LEVEL_FRANCHISEE)
        if level == LEVEL_REGION and not principal.is_hq:
            abort(403)
        data = service.review(campaign.id, level, franchisee_id)
        outcomes = service.rule_outcomes(campaign.id, franchisee_id)
        return {
            "campaign_id": campaign.id,
            **data,
            "outcomes": outcomes,
            "outcome_totals": service.outcome_totals(outcomes),
        }
