"""CONTRACT: did it work — the report per plan, per content and per journey step.

* ``GET /api/v1/plans/{id}/report`` (HQ; owners and guides see their own groups; a plan
  their franchise never received → 404) → ``{"kind", "id", "name", "outcome_days",
  "totals": {"sends", "groups", "orders", "paid_fen", "customers", "messages",
  "messages_before"}, "series": [per send day], "rows": [per group and day],
  "statistics_read_to"}``; ``?days=N`` (1..90, default HQ's setting
  ``community.post_outcome_days``, 7) — anything else is 422 naming ``days``.
* ``GET /api/v1/content/{id}/report``: the same over every push of the post.
* ``GET /api/v1/journeys/{id}/steps/{step_id}/report``: the same per customer who got
  the step (no group activity: a 1:1 send).
* ``POST /api/v1/chat-statistics/read`` (HQ): read WeCom's group-chat statistics now
  (``community.services.chat_statistics``) → ``{"days", "calls", "rows"}``; 502 when WeCom
  does not answer (what was read is kept).
"""

from __future__ import annotations

from flask.views import MethodView

from app.auth.decorators import api_roles
from app.auth.models import HQ_ROLES, STAFF_ROLES
from app.errors import DomainError
from app.extensions import api_blueprint
from app.i18n import tr
from app.schemas import url_id
from app.wechat.errors import WeChatError
from community.schemas_reports import PostReportSchema, ReadBackSchema, ReportQuerySchema
from community.services import chat_statistics, content, journeys, plans, post_report

blp = api_blueprint(
    "community_reports_api",
    __name__,
    "Community: did it work — reports per plan, content and journey step",
)
VIEWERS = STAFF_ROLES


def report_view(missing: str):
    """The decorators every report shares: who may read it, ``?days=``, the answer's
    schema and the 404 when ``missing``."""

    def wrap(view):
        view = blp.alt_response(404, description=missing)(view)
        view = blp.response(200, PostReportSchema)(view)
        view = blp.arguments(ReportQuerySchema, location="query")(view)
        return api_roles(*VIEWERS)(view)

    return wrap


@blp.route("/plans/<int:plan_id>/report")
class PlanReport(MethodView):
    @report_view("No such plan, or none of its sends in your scope")
    def get(self, args, plan_id):
        """The plan's sends, the orders they brought within N days and the groups'
        activity on the send day against the 7 days before."""
        plan = plans.get_plan(url_id(plan_id))
        return post_report.report(post_report.PLAN, plan, args["days"])


@blp.route("/content/<int:post_id>/report")
class ContentReport(MethodView):
    @report_view("No such post, or none of its sends in your scope")
    def get(self, args, post_id):
        """Every push of the post, whichever plan sent it."""
        post = content.get_post(url_id(post_id))
        return post_report.report(post_report.CONTENT, post, args["days"])


@blp.route("/journeys/<int:journey_id>/steps/<int:step_id>/report")
class StepReport(MethodView):
    @report_view("No such step in the journey, or none in your scope")
    def get(self, args, journey_id, step_id):
        """Each customer who got the step and the orders they placed within N days."""
        step = journey_step(journey_id, step_id)
        return post_report.report(post_report.STEP, step, args["days"])


def journey_step(journey_id: int, step_id: int):
    """The step of that journey (404 when it belongs to another)."""
    journey = journeys.get_journey(url_id(journey_id))
    step = post_report.get_step(url_id(step_id))
    if step.journey_id != journey.id:
        post_report.get_step(0)
    return step


@blp.route("/chat-statistics/read")
class ReadStatistics(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, ReadBackSchema)
    @blp.alt_response(502, description="WeCom did not answer; the days read are kept")
    def post(self):
        """Read WeCom's group-chat statistics of the days not read yet (≤ 30 back)."""
        return read_now()


def read_now() -> dict:
    """The read-back now; WeCom failing is a 502 naming it (rows read so far are kept)."""
    try:
        return chat_statistics.read_back()
    except WeChatError as exc:
        raise DomainError(
            tr("WeCom did not answer; the days already read are kept. Try again later."),
            code="wecom_unavailable",
            status=502,
            errors={"wecom": [str(exc)]},
        ) from exc
