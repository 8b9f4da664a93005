"""Customer journey pages.

* ``/admin/journeys`` (HQ and owners): journeys with trigger, steps, tag and how many
  customers entered (owners count their own), filters, pagination, CSV.
* ``/admin/journeys/new`` and ``/admin/journeys/<id>`` (HQ): the editor — name, trigger
  (with its days without activity or its customer date), target tag, days for the
  outcome, and up to ``FORM_STEPS`` steps (wait, window, content post); the form loads
  through ``JourneySchema`` and each error shows beside its field (``step_wait_2`` …).
* ``/admin/journeys/<id>/report`` (HQ; owners see their franchise's sends): enrolled,
  sent, confirmed, missed with reasons and orders within N days, per step, and each send
  (customer, guide, step, day, status, reason) with CSV.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import func, select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.scope import scoped
from app.errors import DomainError
from app.extensions import db
from app.web.listing import Column, csv_response, export_url, paginate
from app.web.pages import pages_blueprint
from community.models.content import ContentPost
from community.models.journeys import DATE_KINDS, TRIGGERS, Journey, JourneyEnrolment, JourneySend
from community.models.wecom_customers import CustomerTag
from community.schemas_journeys import JourneySchema
from community.services import journeys, receiving_limit
from community.services.journey_sends import REASON_LABELS, STATUS_LABELS

bp = pages_blueprint("community_journeys", __name__, "/admin")

FORM_STEPS = 5
TRIGGER_LABELS = {
    "first_purchase": _l("First purchase"),
    "birthday": _l("Birthday"),
    "purchase_anniversary": _l("Purchase anniversary"),
    "maintenance_due": _l("Maintenance due"),
    "dormant": _l("Dormant"),
    "customer_date": _l("A date the customer gave"),
    "points_expiring": _l("Points about to expire"),
    "points_wakeup": _l("Points about to expire (wake-up for dormant members)"),
    "tagged": _l("When tagged"),
}
EDITED = ("name", "trigger", "dormant_days", "date_kind", "days_before", "tag_id",
          "outcome_days", "active")  # fmt: skip
DATE_LABELS = {"wedding": _l("Wedding"), "anniversary": _l("Anniversary")}


def _enrolled() -> dict[int, int]:
    stmt = scoped(
        select(JourneyEnrolment.journey_id, func.count()).group_by(JourneyEnrolment.journey_id),
        JourneyEnrolment,
    )
    return {row[0]: row[1] for row in db.session.execute(stmt)}


@bp.get("/journeys")
@page_roles(*ADMIN_UI_ROLES)
def journey_list():
    """Every journey with its trigger and enrolled customers; filters, CSV."""
    stmt = journeys.list_stmt({"q": request.args.get("q", "").strip()})
    trigger = request.args.get("trigger", "")
    if trigger in TRIGGERS:
        stmt = stmt.where(Journey.trigger == trigger)
    enrolled = _enrolled()
    columns = [
        Column(
            "name",
            _l("Name"),
            link=lambda j: url_for("community_journeys.report", object_id=j.id),
        ),
        Column("trigger", _l("Trigger"), value=lambda j: str(TRIGGER_LABELS[j.trigger])),
        Column("steps", _l("Steps"), value=lambda j: len(j.steps), numeric=True),
        Column("tag", _l("Tag"), value=lambda j: _tag_name(j.tag_id)),
        Column("enrolled", _l("Enrolled"), value=lambda j: enrolled.get(j.id, 0), numeric=True),
        Column("active", _l("Status"), value=lambda j: _("Active") if j.active else _("Paused")),
    ]
    if request.args.get("format") == "csv":
        return csv_response("journeys.csv", columns, db.session.scalars(stmt).all())
    fields = [
        {"name": "trigger", "label": _("Trigger"), "type": "select",
         "options": [(t, str(TRIGGER_LABELS[t])) for t in TRIGGERS]},
        {"name": "q", "label": _("Search"), "type": "text", "placeholder": _("Name")},
    ]  # fmt: skip
    return render_template(
        "community/journeys/list.html",
        fields=fields,
        columns=columns,
        page=paginate(stmt),
        export_url=export_url("community_journeys.journey_list"),
    )


def _tag_name(tag_id: int | None) -> str:
    tag = db.session.get(CustomerTag, tag_id) if tag_id else None
    return tag.name if tag else ""


def _form_body(form) -> dict:
    """The posted editor as the JSON body ``JourneySchema`` loads (blank step rows left out)."""

    def number(key: str):
        raw = form.get(key, "").strip()
        try:
            return int(raw) if raw else None
        except ValueError:
            return raw  # the schema names it

    steps = []
    for n in range(1, FORM_STEPS + 1):
        if not form.get(f"step_post_{n}"):
            continue
        step = {"post_id": number(f"step_post_{n}"), "wait_days": number(f"step_wait_{n}")}
        step["window_days"] = number(f"step_window_{n}")
        steps.append({k: v for k, v in step.items() if v is not None})
    body = {
        "name": form.get("name", "").strip(),
        "trigger": form.get("trigger", ""),
        "dormant_days": number("dormant_days"),
        "days_before": number("days_before"),
        "date_kind": form.get("date_kind") or None,
        "tag_id": number("tag_id"),
        "outcome_days": number("outcome_days") or 7,
        "active": form.get("active") == "1",
        "steps": steps,
    }
    return body


def _field_errors(messages: dict) -> dict:
    """Marshmallow's messages as ``{form field: [text]}`` (a step's as ``step_wait_2``)."""
    out: dict = {}
    for key, value in messages.items():
        if key == "steps" and isinstance(value, dict):
            for index, inner in value.items():
                for name, text in inner.items():
                    short = {"wait_days": "wait", "window_days": "window", "post_id": "post"}
                    out[f"step_{short.get(name, name)}_{int(index) + 1}"] = text
        else:
            out[key] = value if isinstance(value, list) else [str(value)]
    return out


def _steps_of(journey: Journey | None) -> list[dict]:
    rows = [
        {"wait": s.wait_days, "window": s.window_days, "post": s.post_id}
        for s in (journey.steps if journey else [])
    ]
    return rows + [{"wait": "", "window": 3, "post": ""}] * (FORM_STEPS - len(rows))


def _edit(journey: Journey | None):
    errors: dict = {}
    status = 200
    data: dict = {"outcome_days": 7, "active": True, "trigger": "first_purchase"}
    steps = _steps_of(journey)
    if journey is not None:
        data = {key: getattr(journey, key) for key in EDITED}
    if request.method == "POST":
        body = _form_body(request.form)
        data = body
        steps = [
            {k: request.form.get(f"step_{k}_{n}", "") for k in ("wait", "window", "post")}
            for n in range(1, FORM_STEPS + 1)
        ]
        try:
            saved = journeys.save_journey(JourneySchema().load(body), journey)
            flash(_("Journey saved."), "success")
            return redirect(url_for("community_journeys.edit", object_id=saved.id), 303)
        except ValidationError as exc:
            errors, status = _field_errors(exc.normalized_messages()), 422
        except DomainError as exc:
            errors, status = _field_errors(exc.errors or {}), exc.status
        flash(_("Please correct the marked fields."), "error")
    return render_template(
        "community/journeys/form.html",
        journey=journey,
        data=data,
        steps=steps,
        errors=errors,
        triggers=[(t, TRIGGER_LABELS[t]) for t in TRIGGERS],
        date_kinds=[(k, DATE_LABELS[k]) for k in DATE_KINDS],
        policy=receiving_limit.describe(),
        posts=db.session.scalars(
            select(ContentPost).where(ContentPost.status == "active").order_by(ContentPost.id)
        ).all(),
        tags=db.session.scalars(
            select(CustomerTag).where(CustomerTag.deleted.is_(False)).order_by(CustomerTag.id)
        ).all(),
    ), status


@bp.route("/journeys/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def new():
    return _edit(None)


@bp.route("/journeys/<int:object_id>", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def edit(object_id: int):
    return _edit(journeys.get_journey(object_id))


def _reason_word(send) -> str:
    return _(REASON_LABELS[send.reason]) if send.reason in REASON_LABELS else ""


def _send_columns() -> list[Column]:
    return [
        Column("customer", _l("Customer"), value=lambda s: s.customer.nickname),
        Column("guide", _l("Guide"), value=lambda s: s.guide.name if s.guide else ""),
        Column("step", _l("Step"), value=lambda s: s.step.post.title),
        Column("due_on", _l("Due"), value=lambda s: s.due_on.isoformat()),
        Column("sent_on", _l("Sent on"), value=lambda s: s.sent_on and s.sent_on.isoformat()),
        Column("status", _l("Status"), value=lambda s: _(STATUS_LABELS[s.status])),
        Column("reason", _l("Reason"), value=_reason_word),
    ]  # fmt: skip


@bp.get("/journeys/<int:object_id>/report")
@page_roles(*ADMIN_UI_ROLES)
def report(object_id: int):
    """Did it work: the journey's figures, per step, and its sends (scoped), with CSV."""
    journey = journeys.get_journey(object_id)
    stmt = scoped(select(JourneySend), JourneySend).where(JourneySend.journey_id == journey.id)
    status = request.args.get("status", "")
    if status in STATUS_LABELS:
        stmt = stmt.where(JourneySend.status == status)
    stmt = stmt.order_by(JourneySend.due_on.desc(), JourneySend.id.desc())
    if request.args.get("format") == "csv":
        return csv_response(
            f"journey-{journey.id}.csv", _send_columns(), db.session.scalars(stmt).all()
        )
    options = [("", _("All"))] + [(k, _(v)) for k, v in STATUS_LABELS.items()]
    fields = [{"name": "status", "label": _("Status"), "type": "select", "options": options}]
    return render_template(
        "community/journeys/report.html",
        journey=journey,
        figures=journeys.report(journey),
        policy=receiving_limit.describe(),
        trigger=TRIGGER_LABELS[journey.trigger],
        reason_labels=REASON_LABELS,
        fields=fields,
        columns=_send_columns(),
        page=paginate(stmt),
        export_url=export_url("community_journeys.report", object_id=journey.id),
    )
