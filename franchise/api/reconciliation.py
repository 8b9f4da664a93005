"""Reconciliation JSON API (HQ only): the schedule and "run it now".

* ``GET /api/v1/reconciliation`` → ``{"last_run": run | null, "next_run_at"}``.
* ``POST /api/v1/reconciliation/runs`` ``{"date": "YYYY-MM-DD"?}`` → the new run (201):
  ``{"id", "bill_date", "attempt", "status", "bill_rows", "ledger_rows",
  "bill_total_fen", "ledger_total_fen", "differences", "error", "created_at"}``. A day
  whose bill is not ready yet (before 10:00 the next day) or older than three months: 422.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth.decorators import api_roles
from app.auth.models import HQ_ROLES
from franchise.services import reconciliation_schedule as schedule

blp = Blueprint(
    "reconciliation_api",
    __name__,
    url_prefix="/api/v1/reconciliation",
    description="Reconciliation of WeChat's bill with the ledger: schedule and run now",
)


class RunSchema(Schema):
    id = fields.Integer()
    bill_date = fields.Date()
    attempt = fields.Integer()
    status = fields.String()
    bill_rows = fields.Integer()
    ledger_rows = fields.Integer()
    bill_total_fen = fields.Integer()
    ledger_total_fen = fields.Integer()
    differences = fields.Function(lambda run: len(run.items))
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ScheduleSchema(Schema):
    last_run = fields.Nested(RunSchema, allow_none=True)
    next_run_at = fields.DateTime(allow_none=True)


def bill_day(**kwargs) -> fields.Date:
    """A reconciled day, ``YYYY-MM-DD`` (the run's and a franchisee's reconciliation)."""
    return fields.Date(format="%Y-%m-%d", **kwargs)


class RunRequestSchema(Schema):
    date = bill_day(load_default=None)


@blp.route("")
class ReconciliationSchedule(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, ScheduleSchema)
    def get(self):
        """The last run and when the scheduled run fires next."""
        return {"last_run": schedule.last_run(), "next_run_at": schedule.next_run()}


@blp.route("/runs")
class ReconciliationRuns(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(RunRequestSchema)
    @blp.response(201, RunSchema)
    def post(self, body):
        """Reconcile a day now (default: the latest day whose bill is ready)."""
        return schedule.run_now(body.get("date"))
