"""Readiness API: the gate (contract), override, go-live and link checks.

* CONTRACT ``GET /api/v1/campaigns/{id}/readiness`` (HQ; owners for campaigns their
  franchise takes part in) → ``{"ready": bool, "blockers": [...], "overridden",
  "override", "stores", "threshold_pct", ...}``. Owners see campaign-level blockers and
  those of their own stores only, and ``ready`` is the verdict of what they see (or the
  override).
* ``POST .../readiness/override`` (HQ) ``{"reason"}`` (5..255 characters, else 422);
  ``DELETE .../readiness/override`` (HQ) revokes it.
* ``POST .../go-live`` (HQ): 409 with the blockers in ``errors.blockers`` when blocked.
* ``POST .../link-checks`` (HQ) ``{"store_id"?}`` → 202 with the queued runs;
  ``GET .../link-checks`` → the latest run per store with its results.

Guides get 403; campaigns the caller may not see are 404.
"""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, HQ_ROLES
from app.auth.principal import required_principal
from app.extensions import api_blueprint
from app.schemas import MAX_ID, Text
from livestream.services import linkcheck, readiness
from livestream.services.access import campaign_or_404

blp = api_blueprint("livestream_readiness_api", __name__, "Livestream: readiness")


class ReadinessBlockerSchema(Schema):
    code = fields.String()
    store_id = fields.Integer(allow_none=True)
    store_name = fields.String(allow_none=True)
    message = fields.String()
    text = fields.String()
    params = fields.Dict()


class ReadinessSchema(Schema):
    campaign_id = fields.Integer()
    status = fields.String()
    ready = fields.Boolean()
    evaluated_ready = fields.Boolean()
    blockers = fields.List(fields.Nested(ReadinessBlockerSchema))
    overridden = fields.Boolean()
    override = fields.Dict(allow_none=True)
    stores = fields.List(fields.Dict())
    threshold_pct = fields.Integer()
    requires_link_check = fields.Boolean()


class ReadinessOverrideInSchema(Schema):
    reason = Text(required=True, validate=validate.Length(max=1000))


class ReadinessRevokeInSchema(Schema):
    reason = Text(load_default="", validate=validate.Length(max=200))


class GateDecisionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    ready = fields.Boolean()
    override = fields.Boolean()
    reason = fields.String()
    blockers = fields.List(fields.Dict())
    decided_by = fields.Integer(allow_none=True)
    decided_by_name = fields.String(allow_none=True)
    decided_at = fields.String()


class LinkCheckInSchema(Schema):
    store_id = fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), allow_none=True)


class LinkCheckRunSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    store_id = fields.Integer()
    franchisee_id = fields.Integer()
    status = fields.String()
    passed = fields.Boolean()
    results = fields.List(fields.Dict())
    run_by = fields.Integer(allow_none=True)
    run_at = fields.DateTime()


class LinkCheckListSchema(Schema):
    campaign_id = fields.Integer()
    items = fields.List(fields.Nested(LinkCheckRunSchema))
    done = fields.Integer()
    total = fields.Integer()


@blp.route("/campaigns/<int:campaign_id>/readiness")
class Readiness(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.response(200, ReadinessSchema)
    @blp.alt_response(404, description="No such campaign for the caller")
    def get(self, campaign_id):
        """CONTRACT: ready / blockers, with the override and the per-store state."""
        campaign = campaign_or_404(campaign_id)
        return {"campaign_id": campaign.id, **readiness.for_viewer(readiness.gate(campaign.id))}


@blp.route("/campaigns/<int:campaign_id>/readiness/override")
class ReadinessOverride(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(ReadinessOverrideInSchema)
    @blp.response(201, GateDecisionSchema)
    def post(self, data, campaign_id):
        """HQ opens a blocked gate with a recorded reason (5 to 255 characters)."""
        principal = required_principal()
        campaign = campaign_or_404(campaign_id)
        decision = readiness.override(campaign.id, data["reason"], principal.user_id)
        return readiness.decision_dict(decision)

    @api_roles(*HQ_ROLES)
    @blp.arguments(ReadinessRevokeInSchema)
    @blp.response(200, GateDecisionSchema)
    def delete(self, data, campaign_id):
        """HQ ends the override (409 when there is none)."""
        principal = required_principal()
        campaign = campaign_or_404(campaign_id)
        decision = readiness.revoke_override(campaign.id, principal.user_id, data.get("reason", ""))
        return readiness.decision_dict(decision)


@blp.route("/campaigns/<int:campaign_id>/readiness/history")
class ReadinessHistory(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, GateDecisionSchema(many=True))
    def get(self, campaign_id):
        """Checks, overrides, revokes and go-lives, newest first (HQ)."""
        return readiness.history(campaign_or_404(campaign_id).id)


@blp.route("/campaigns/<int:campaign_id>/go-live")
class GoLive(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, ReadinessSchema)
    @blp.alt_response(409, description="Not scheduled, or blocked (blockers in errors)")
    def post(self, campaign_id):
        """Scheduled → live when the gate is open; sessions start living."""
        principal = required_principal()
        campaign = campaign_or_404(campaign_id)
        readiness.go_live(campaign.id, principal.user_id)
        return {"campaign_id": campaign.id, **readiness.for_viewer(readiness.gate(campaign.id))}


@blp.route("/campaigns/<int:campaign_id>/link-checks")
class LinkChecks(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.response(200, LinkCheckListSchema)
    def get(self, campaign_id):
        """The latest link check of each store (owners: their stores) with its results."""
        principal = required_principal()
        campaign = campaign_or_404(campaign_id)
        items = linkcheck.visible_runs(campaign.id)
        total = len(linkcheck.participating_store_ids(campaign.id))
        if not principal.is_hq:
            total = len(items)
        done = sum(1 for r in items if r.status == linkcheck.DONE)
        return {"campaign_id": campaign.id, "items": items, "done": done, "total": total}

    @api_roles(*HQ_ROLES)
    @blp.arguments(LinkCheckInSchema)
    @blp.response(202, LinkCheckListSchema)
    def post(self, data, campaign_id):
        """Queue a link check for every store, or the one named; runs after the commit."""
        principal = required_principal()
        campaign = campaign_or_404(campaign_id)
        runs = linkcheck.request_link_check(campaign.id, data.get("store_id"), principal.user_id)
        done = sum(1 for r in runs if r.status == linkcheck.DONE)
        return {"campaign_id": campaign.id, "items": runs, "done": done, "total": len(runs)}
