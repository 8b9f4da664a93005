"""CONTRACT: customer journeys over the JSON API.

* ``GET /api/v1/journeys`` (HQ; owners read) → paginated journeys with their steps;
  ``POST`` (HQ) creates one: 201, or 422 naming the field (a negative ``wait_days``, an
  unknown ``trigger``, a missing ``dormant_days`` / ``date_kind``, an unknown post or tag).
* ``GET /api/v1/journeys/{id}`` / ``PUT`` (HQ) reads / replaces one.
* ``GET /api/v1/journeys/{id}/report`` (HQ; owners and guides see their own customers'
  sends) → ``{"enrolled", "sent", "confirmed", "missed", "reasons", "orders", "steps"}``.
* ``POST /api/v1/customer-dates`` (guide, owner, HQ) keeps a date the customer gave
  (``wedding`` / ``anniversary``); another franchise's customer is 404.
"""

from __future__ import annotations

from flask.views import MethodView

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, HQ_ROLES, STAFF_ROLES
from app.extensions import api_blueprint
from app.schemas import PageQuerySchema, page_of, page_schema, url_id
from community.schemas_journeys import CustomerDateSchema, JourneyReportSchema, JourneySchema
from community.services import journeys

blp = api_blueprint(
    "community_journeys_api",
    __name__,
    "Community: customer journeys (1:1 sends) and customer dates",
)
JourneyPageSchema = page_schema(JourneySchema, "JourneyPage")


def _journey(journey_id: int):
    return journeys.get_journey(url_id(journey_id))


@blp.route("/journeys")
class Journeys(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, JourneyPageSchema)
    def get(self, args):
        """The journeys HQ defined."""
        return page_of(journeys.list_stmt(args), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(JourneySchema)
    @blp.response(201, JourneySchema)
    @blp.alt_response(422, description="Invalid journey; errors name the field")
    def post(self, body):
        """Create a journey: trigger, optional tag, steps with waits."""
        return journeys.save_journey(body)


@blp.route("/journeys/<int:journey_id>")
class JourneyItem(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.response(200, JourneySchema)
    @blp.alt_response(404, description="No such journey")
    def get(self, journey_id):
        """One journey with its steps."""
        return _journey(journey_id)

    @api_roles(*HQ_ROLES)
    @blp.arguments(JourneySchema)
    @blp.response(200, JourneySchema)
    @blp.alt_response(422, description="Invalid journey; errors name the field")
    def put(self, body, journey_id):
        """Replace a journey's definition (steps already sent keep their sends)."""
        return journeys.save_journey(body, _journey(journey_id))


@blp.route("/journeys/<int:journey_id>/report")
class JourneyReport(MethodView):
    @api_roles(*STAFF_ROLES)
    @blp.response(200, JourneyReportSchema)
    @blp.alt_response(404, description="No such journey")
    def get(self, journey_id):
        """Enrolled, sent, confirmed, missed with reasons, orders within N days (scoped)."""
        return journeys.report(_journey(journey_id))


@blp.route("/customer-dates")
class CustomerDates(MethodView):
    @api_roles(*STAFF_ROLES)
    @blp.arguments(CustomerDateSchema)
    @blp.response(201, CustomerDateSchema)
    @blp.alt_response(404, description="Not a customer in the caller's scope")
    def post(self, body):
        """Keep a date the customer gave (wedding, anniversary) for date journeys."""
        return journeys.save_customer_date(body)
