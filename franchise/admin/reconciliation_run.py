"""HQ's "run reconciliation now" form on the reconciliation page, and the schedule box
(last run, next scheduled run) it shows above the runs."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.clock import shanghai_yesterday
from app.errors import DomainError
from app.web.form_input import FormInvalid, load_form
from app.web.shell import translate
from franchise.api.reconciliation import RunRequestSchema
from franchise.services import reconciliation_schedule as schedule

bp = Blueprint("reconciliation_admin", __name__, url_prefix="/admin")


def schedule_box() -> dict:
    """What the page shows above the runs: the last run, the next one, the default day."""
    return {
        "last": schedule.last_run(),
        "next_at": schedule.next_run(),
        "yesterday": shanghai_yesterday(),
    }


@bp.route("/reconciliation/run", methods=["POST"])
@page_roles(*HQ_ROLES)
def run_now():
    """Reconcile the chosen day at once, then show its run."""
    try:
        day = load_form(RunRequestSchema(), request.form)["date"]  # the API's schema
    except FormInvalid:
        flash(_("Pick a day (YYYY-MM-DD)."), "error")
        return redirect(url_for("payments_admin.reconciliation"), 303)
    try:
        run = schedule.run_now(day)
    except DomainError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("payments_admin.reconciliation"), 303)
    flash(_("Reconciliation of %(day)s done.", day=run.bill_date.isoformat()), "success")
    return redirect(url_for("payments_admin.reconciliation", run=run.id), 303)
