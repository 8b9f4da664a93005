"""Did it work: the report pages of a plan, a content post and a journey step.

* ``/admin/plans/<id>/report``, ``/admin/content/<id>/report`` and
  ``/admin/journeys/<id>/steps/<step_id>/report`` (HQ; owners and guides see their own
  groups and customers; a plan their franchise never received is 404): the totals, a
  server-drawn chart per send day (orders and paid amount, and the groups' messages on the
  send day against the days before), and a table per group and day (per customer for a
  step) with filters (day, name, with orders), pagination and CSV.
* ``POST /admin/chat-statistics/read`` (HQ): read WeCom's group-chat statistics now,
  then back to the report.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.errors import DomainError
from app.web.listing import Column, csv_response, export_url, filter_args, paginate
from app.web.pages import pages_blueprint
from community.api.plan_report import journey_step, read_now
from community.schemas_reports import ReportFilterSchema
from community.services import content, plans, post_report, post_report_sql

bp = pages_blueprint("community_reports", __name__, "/admin")

KIND_LABELS = {
    post_report.PLAN: _l("Push plan"),
    post_report.CONTENT: _l("Content"),
    post_report.STEP: _l("Journey step"),
}


def _average(value) -> str:
    return "—" if value is None else f"{value:g}"


def _field(row, key: str):
    """A row's value: a dict (a step's rows) or a database row (a plan's, a content's)."""
    return row.get(key) if isinstance(row, dict) else getattr(row, key, None)


def _columns(kind: str) -> list[Column]:
    who = (
        [Column("customer_name", _l("Customer"))]
        if kind == post_report.STEP
        else [
            Column("group_name", _l("Group")),
            Column("members", _l("Customers in the group"), numeric=True),
        ]  # fmt: skip
    )
    columns = [Column("date", _l("Send day"), value=lambda r: _field(r, "date").isoformat()), *who,
               Column("guide_name", _l("Guide")),
               Column("orders", _l("Orders"), numeric=True),
               Column("paid_fen", _l("Paid"), money=True),
               Column("customers", _l("Customers who paid"), numeric=True)]  # fmt: skip
    if kind != post_report.STEP:
        columns += [
            Column("messages", _l("Messages that day"), numeric=True,
                   value=lambda r: _average(_field(r, "messages"))),
            Column("messages_before", _l("Messages a day, 7 days before"), numeric=True,
                   value=lambda r: _average(_field(r, "messages_before"))),
            Column("active_members", _l("Members who spoke"), numeric=True,
                   value=lambda r: _average(_field(r, "active_members"))),
        ]  # fmt: skip
    return columns


def _filtered(rows: list[dict], args: dict) -> list[dict]:
    q = (args.get("q") or "").strip().lower()
    out = []
    for row in rows:
        name = f"{row.get('group_name') or row.get('customer_name') or ''} {row['guide_name']}"
        if args.get("day") and row["date"] != args["day"]:
            continue
        if q and q not in name.lower():
            continue
        if args.get("ordered") and (row["orders"] > 0) != (args["ordered"] == "yes"):
            continue
        out.append(row)
    return out


def _chart(figures: dict) -> dict:
    days = [s["date"].strftime("%m-%d") for s in figures["series"]]
    return {
        "labels": days,
        "orders": {_("Orders"): [s["orders"] for s in figures["series"]],
                   _("Customers who paid"): [s["customers"] for s in figures["series"]]},
        "paid": {_("Paid"): [s["paid_fen"] for s in figures["series"]]},
        "activity": {_("Messages that day"): [s["messages"] or 0 for s in figures["series"]],
                     _("Messages a day, 7 days before"): [s["messages_before"] or 0
                                                           for s in figures["series"]]},
    }  # fmt: skip


def _render(kind: str, obj, back: str, endpoint: str, **values):
    """The page (or its CSV): a plan's or content's rows are filtered, paged and streamed
    by the database (``post_report_sql``), a step's (one per customer) in Python."""
    figures = post_report.report(kind, obj, rows=False)
    args = filter_args(ReportFilterSchema)
    source = figures["source"]
    columns = _columns(kind)
    csv = request.args.get("format") == "csv"
    if source is None:  # a step's rows (or nothing sent): filtered and paged in Python
        rows = _filtered(figures["rows"], args)
        if csv:
            return csv_response(f"{kind}-{obj.id}-report.csv", columns, rows)
        page = paginate(rows)
    elif csv:
        stmt = post_report_sql.filtered(post_report_sql.rows_stmt(source[0], source[1]), args)
        return csv_response(f"{kind}-{obj.id}-report.csv", columns, stmt)
    else:
        page = post_report_sql.page_rows(source[0], source[1], args)
    options = [(s["date"].isoformat(), s["date"].isoformat()) for s in figures["series"]]
    fields = [
        {"name": "day", "label": _("Send day"), "type": "select", "options": options},
        {"name": "q", "label": _("Name"), "placeholder": _("Group, customer or guide")},
        {"name": "ordered", "label": _("Orders"), "type": "select",
         "options": [("yes", _("With orders")), ("no", _("Without orders"))]},
    ]  # fmt: skip
    return render_template(
        "community/reports/post_report.html",
        kind=kind,
        kind_label=KIND_LABELS[kind],
        figures=figures,
        chart=_chart(figures),
        back=back,
        fields=fields,
        columns=columns,
        page=page,
        export_url=export_url(endpoint, **values),
    )


@bp.get("/plans/<int:object_id>/report")
@page_roles(*ADMIN_UI_ROLES)
def plan(object_id: int):
    """A push plan's report."""
    found = plans.get_plan(object_id)
    back = url_for("community_schedule.calendar", plan_id=found.id)
    return _render(post_report.PLAN, found, back, "community_reports.plan", object_id=object_id)


@bp.get("/content/<int:object_id>/report")
@page_roles(*ADMIN_UI_ROLES)
def post(object_id: int):
    """A content post's report, over every plan that sent it."""
    found = content.get_post(object_id)
    back = url_for("community_content.posts")
    return _render(post_report.CONTENT, found, back, "community_reports.post", object_id=object_id)


@bp.get("/journeys/<int:object_id>/steps/<int:step_id>/report")
@page_roles(*ADMIN_UI_ROLES)
def step(object_id: int, step_id: int):
    """A journey step's report, per customer who got it."""
    found = journey_step(object_id, step_id)
    back = url_for("community_journeys.report", object_id=object_id)
    return _render(post_report.STEP, found, back, "community_reports.step",
                   object_id=object_id, step_id=step_id)  # fmt: skip


@bp.post("/chat-statistics/read")
@page_roles(*HQ_ROLES)
def read_statistics():
    """Read WeCom's group-chat statistics now; back to the page that asked."""
    try:
        result = read_now()
        flash(_("WeCom's statistics read: %(n)s new rows.", n=result["rows"]), "success")
    except DomainError as exc:
        flash(exc.message, "error")
    target = request.form.get("next", "")
    if not target.startswith("/admin/"):  # only back to a page of ours
        target = url_for("community_plans.plans")
    return redirect(target, 303)
