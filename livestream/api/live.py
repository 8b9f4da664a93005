"""Live API: the dashboard's figures; the mini-program's live page and visits; guide codes.

* ``GET /api/v1/campaigns/{id}/live`` (HQ, franchise owners of a participating franchise;
  owners get their own franchise's figures and stores only) → the board
  (``livestream.services.live_board``).
* ``POST /api/v1/campaigns/{id}/live/refresh`` (HQ) → read WeCom watch stats now.
* ``GET /api/v1/mp/campaigns/{id}`` (customer) → the live page: name, sessions (store
  mode: the customer's store's session), line-up with list and live prices, units left.
* ``POST /api/v1/mp/campaigns/{id}/visits`` (customer) ``{"share_code"?}`` → the visit;
  201 the first time, 200 afterwards (the first visit wins).
* ``GET /api/v1/me/campaigns/{id}/share`` (guide) → ``{code, path, url}``.
"""

from __future__ import annotations

from datetime import timedelta

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.auth.decorators import api_roles
from app.auth.models import CUSTOMER, FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import required_principal
from app.errors import NotFound
from app.extensions import api_blueprint, db
from app.schemas import Text
from franchise.models import Customer
from livestream.models.campaigns import MODE_STORE
from livestream.schemas import TargetProgressRowSchema, TargetProgressSchema
from livestream.services import attribution, live_board, living
from livestream.services.access import campaign_or_404

blp = api_blueprint("livestream_live_api", __name__, "Livestream: live")


class LiveMpSessionSchema(Schema):
    """A session as the mini-program shows it (the board adds its viewers)."""

    id = fields.Integer()
    title = fields.String()
    store_id = fields.Integer(allow_none=True)
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String()


class LiveBoardSessionSchema(LiveMpSessionSchema):
    store_name = fields.String()
    living_id = fields.String(allow_none=True)
    viewers_source = fields.String()
    viewer_count = fields.Integer()
    external_viewer_count = fields.Integer()
    stat_read_at = fields.DateTime(allow_none=True)


class LiveBoardOrderSchema(Schema):
    order_no = fields.String()
    paid_at = fields.DateTime()
    store_name = fields.String()
    guide_name = fields.String()
    amount_fen = fields.Integer()


class LiveMpLineupSchema(Schema):
    """A line-up row as the mini-program shows it (the board adds sku, cap and sales)."""

    product_id = fields.Integer()
    name = fields.String()
    list_price_fen = fields.Integer()
    live_price_fen = fields.Integer()
    left = fields.Integer()


class LiveLineupRowSchema(LiveMpLineupSchema):
    sku = fields.String()
    stock_cap = fields.Integer()
    sold = fields.Integer()
    cap_pct = fields.Float(allow_none=True)


class LiveCampaignHeadSchema(Schema):
    """What the board and the mini-program both say of the campaign."""

    name = fields.String()
    mode = fields.String()
    status = fields.String()
    live_at = fields.DateTime()
    live_prices = fields.Boolean()


class LiveBoardSchema(LiveCampaignHeadSchema):
    campaign_id = fields.Integer()
    totals = fields.Nested(TargetProgressSchema)
    level = fields.String()
    rows = fields.List(fields.Nested(TargetProgressRowSchema))
    sessions = fields.List(fields.Nested(LiveBoardSessionSchema))
    orders = fields.List(fields.Nested(LiveBoardOrderSchema))
    lineup = fields.List(fields.Nested(LiveLineupRowSchema))
    updated_at = fields.DateTime()


class LiveRefreshSchema(Schema):
    read = fields.Integer()
    failed = fields.Integer()


class LiveMpCampaignSchema(LiveCampaignHeadSchema):
    id = fields.Integer()
    description = fields.String()
    sessions = fields.List(fields.Nested(LiveMpSessionSchema))
    lineup = fields.List(fields.Nested(LiveMpLineupSchema))


class LiveVisitBodySchema(Schema):
    share_code = Text(validate=validate.Length(min=1, max=32))


class LiveVisitSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    share_code = fields.String(allow_none=True)
    guide_id = fields.Integer(allow_none=True)
    store_id = fields.Integer(allow_none=True)
    franchisee_id = fields.Integer()
    region_id = fields.Integer(allow_none=True)
    is_new_customer = fields.Boolean()
    visited_at = fields.DateTime()


class LiveShareSchema(Schema):
    code = fields.String()
    path = fields.String()
    url = fields.String()


@blp.route("/campaigns/<int:campaign_id>/live")
class CampaignLive(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.response(200, LiveBoardSchema)
    @blp.alt_response(404, description="No such campaign for the caller")
    def get(self, campaign_id):
        """GMV, orders and viewers against targets, sessions, line-up and the last orders."""
        campaign = campaign_or_404(campaign_id)
        principal = required_principal()
        return live_board.board(campaign.id, None if principal.is_hq else principal.franchisee_id)


@blp.route("/campaigns/<int:campaign_id>/live/refresh")
class CampaignLiveRefresh(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, LiveRefreshSchema)
    @blp.alt_response(404, description="No such campaign")
    def post(self, campaign_id):
        """Read the WeCom lives' viewers now."""
        campaign = campaign_or_404(campaign_id)
        return living.read_watch_stats(campaign.id)


def _customer() -> Customer:
    principal = required_principal()
    customer = db.session.get(Customer, principal.customer_id or 0)
    if customer is None:
        raise NotFound("Customer not found")
    return customer


def mp_campaign(campaign_id: int, customer: Customer) -> dict:
    """The mini-program's live page for one customer (see the module docstring)."""
    campaign = attribution.open_campaign(campaign_id, customer)
    sessions = campaign.sessions
    if campaign.mode == MODE_STORE:
        sessions = [s for s in sessions if s.store_id == customer.store_id]
    return {
        "id": campaign.id,
        "name": campaign.name,
        "mode": campaign.mode,
        "status": campaign.status,
        "description": campaign.description,
        "live_at": campaign.live_at,
        "live_prices": attribution.prices_open(campaign),
        "sessions": [
            {
                "id": s.id,
                "title": s.title,
                "store_id": s.store_id,
                "starts_at": s.starts_at,
                "ends_at": s.starts_at + timedelta(minutes=s.duration_minutes),
                "status": s.status,
            }
            for s in sessions
        ],
        "lineup": live_board.lineup(campaign),
    }


@blp.route("/mp/campaigns/<int:campaign_id>")
class MpCampaign(MethodView):
    @api_roles(CUSTOMER)
    @blp.response(200, LiveMpCampaignSchema)
    @blp.alt_response(404, description="No such open campaign")
    def get(self, campaign_id):
        """The live page: sessions, line-up with list and live prices, units left."""
        return mp_campaign(campaign_id, _customer())


@blp.route("/mp/campaigns/<int:campaign_id>/visits")
class MpVisits(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(LiveVisitBodySchema)
    @blp.response(201, LiveVisitSchema)
    @blp.alt_response(200, schema=LiveVisitSchema, description="Already visited: the first visit")
    @blp.alt_response(404, description="No such open campaign")
    def post(self, body, campaign_id):
        """Record my arrival at the campaign (through a guide's share code, if any)."""
        customer = _customer()
        visit, created = attribution.ensure_visit(campaign_id, customer.id, body.get("share_code"))
        return visit, 201 if created else 200


@blp.route("/me/campaigns/<int:campaign_id>/share")
class MyShare(MethodView):
    @api_roles(GUIDE)
    @blp.response(200, LiveShareSchema)
    @blp.alt_response(404, description="No such campaign for my store")
    def get(self, campaign_id):
        """My share code for the campaign, its mini-program path and web URL."""
        principal = required_principal()
        if principal.guide_id is None:
            raise NotFound("Campaign not found")
        campaign = campaign_or_404(campaign_id)
        code = attribution.campaign_share_code(campaign.id, principal.guide_id)
        return attribution.share_links(campaign.id, code.code)
