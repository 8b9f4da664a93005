"""HQ campaign pages: list, wizard, detail with the timeline status board.

* ``campaigns`` (GET ``""``): filters mode / status / name, pagination, CSV export
  (``?export=csv``); HQ sees all, owners the campaigns their franchise takes part in.
* ``new`` / ``edit``: the 4-step wizard (basics, participants, line-up, summary with the
  timeline preview) — one form, steps shown one at a time by a little vanilla JS; server
  errors re-render it at the step holding the first error. HQ only.
* ``detail``: status and phase, the status board (mark done / reopen / re-date for HQ),
  sessions, line-up, stores by region, buttons for the legal status moves.
* ``status`` and ``step`` (POST): the board's and the buttons' actions. HQ only.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.errors import DomainError, NotFound
from app.extensions import db
from app.web.form_input import FormInvalid, load_form
from app.web.listing import Column, csv_response, paginate
from app.web.page_action import flashed
from app.web.shell import translate
from franchise.models import Guide
from franchise.services.settings import live_price_floor_pct
from livestream.admin import campaign_form as form_helpers
from livestream.admin import campaign_pages
from livestream.api.campaigns import campaign_or_404, filtered_campaigns, store_counts
from livestream.models.campaigns import CAMPAIGN_STATUSES, MODES
from livestream.schemas import SessionFormSchema
from livestream.services import attention, timeline
from livestream.services import campaigns as service

bp = campaign_pages("livestream_campaigns", __name__)

STATUS_BADGES = {
    "draft": "",
    "scheduled": "badge-info",
    "live": "badge-ok",
    "ended": "badge-gold",
    "reviewed": "badge-ok",
    "cancelled": "badge-err",
}
STATE_BADGES = {"done": "badge-ok", "late": "badge-err", "due": "badge-warn", "upcoming": ""}
MODE_LABELS = {"hq": _l("HQ-centralised"), "store": _l("Store lives")}


def _args() -> dict:
    args = {}
    if request.args.get("mode") in MODES:
        args["mode"] = request.args["mode"]
    if request.args.get("status") in CAMPAIGN_STATUSES:
        args["status"] = request.args["status"]
    q = (request.args.get("q") or "").strip()[:64]
    if q:
        args["q"] = q
    if request.args.get("attention") in attention.KINDS:
        args["attention"] = request.args["attention"]
    return args


def _columns() -> list[Column]:
    return [
        Column("id", "ID", numeric=True),
        Column("name", _l("Name")),
        Column("mode", _l("Mode"), value=lambda c: str(MODE_LABELS.get(c.mode, c.mode))),
        Column("status", _l("Status"), value=lambda c: _(c.status)),
        Column("phase", _l("Phase"), value=lambda c: _(timeline.phase(c))),
        Column("live_at", _l("Live at"), time=True),
        Column("store_count", _l("Stores"), value=lambda c: len(c.stores), numeric=True),
    ]


@bp.route("")
@page_roles(*ADMIN_UI_ROLES)
def campaigns():
    """The campaigns the caller may see, newest live first."""
    args = _args()
    stmt = attention.narrow(filtered_campaigns(args), args.get("attention"))
    if request.args.get("export") == "csv":
        return csv_response("campaigns.csv", _columns(), stmt)
    page = paginate(stmt)
    counts = store_counts([c.id for c in page.items])
    rows = [{"c": c, "phase": timeline.phase(c), "stores": counts.get(c.id, 0)} for c in page.items]
    filters = [
        {"name": "q", "label": _("Name"), "type": "text"},
        {
            "name": "mode",
            "label": _("Mode"),
            "type": "select",
            "options": [(m, str(MODE_LABELS[m])) for m in MODES],
        },
        {
            "name": "status",
            "label": _("Status"),
            "type": "select",
            "options": [(s, _(s)) for s in CAMPAIGN_STATUSES],
        },
        {
            "name": "attention",
            "label": _("Needs attention"),
            "type": "select",
            "options": [
                (attention.STEPS, _("Steps late or due")),
                (attention.GATE, _("Gate blocked")),
            ],
        },
    ]
    return render_template(
        "livestream/admin/campaigns/list.html",
        page=page,
        rows=rows,
        filters=filters,
        badges=STATUS_BADGES,
        modes=MODE_LABELS,
        export_url=url_for("livestream_campaigns.campaigns", export="csv", **args),
        is_hq=required_principal().is_hq,
    )


def _wizard(campaign=None):
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data = form_helpers.form_data(request.form)
        try:
            saved = service.save_campaign(
                form_helpers.to_service(request.form, data),
                campaign,
                user_id=required_principal().user_id,
            )
        except DomainError as exc:
            errors = exc.errors or {"name": [exc.message]}
            flash(exc.message, "error")
            status = exc.status
        else:
            flash(_("Campaign saved."), "success")
            return redirect(url_for("livestream_campaigns.detail", campaign_id=saved.id), 303)
    else:
        data = form_helpers.campaign_data(campaign)
    return render_template(
        "livestream/admin/campaigns/wizard.html",
        campaign=campaign,
        data=data,
        errors=errors,
        start_step=form_helpers.first_error_step(errors),
        floor=form_helpers.floor_day(campaign).isoformat(),
        price_floor_pct=live_price_floor_pct(),
        offsets=[[k, _(t), s, d] for k, t, s, d in timeline.DEFAULT_STEPS],
        modes=MODE_LABELS,
        **form_helpers.choices(),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def new():
    """The wizard for a new campaign."""
    return _wizard(None)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def edit(campaign_id: int):
    """The wizard pre-filled with the campaign."""
    return _wizard(campaign_or_404(campaign_id))


@bp.route("/<int:campaign_id>")
@page_roles(*ADMIN_UI_ROLES)
def detail(campaign_id: int):
    """Status, phase, the timeline board, sessions, line-up and stores."""
    campaign = campaign_or_404(campaign_id)
    return render_template(
        "livestream/admin/campaigns/detail.html",
        campaign=campaign,
        phase=timeline.phase(campaign),
        board=timeline.board(campaign),
        early_limit=timeline.early_limit(),
        moves=service.allowed_moves(campaign),
        editable=campaign.status in service.EDITABLE,
        stores_by_region=form_helpers.stores_by_region(campaign),
        badges=STATUS_BADGES,
        state_badges=STATE_BADGES,
        modes=MODE_LABELS,
        is_hq=required_principal().is_hq,
        anchors=anchor_choices(campaign),
        active="livestream_campaigns.detail",
    )


def anchor_choices(campaign) -> dict[str, tuple[str, int | None]]:
    """``{wecom userid: (guide name, store id)}`` of the active guides of the campaign's
    stores: the anchor is picked by name, its WeCom userid never typed or shown."""
    store_ids = [s.store_id for s in campaign.stores]
    if not store_ids:
        return {}
    rows = db.session.execute(
        select(Guide.wecom_userid, Guide.name, Guide.store_id)
        .where(Guide.store_id.in_(store_ids), Guide.status == "active")
        .order_by(Guide.store_id, Guide.name)
    ).all()
    return {userid: (name, store_id) for userid, name, store_id in rows if userid}


def _refusal(exc: DomainError) -> str:
    """A refused action's message and every field's messages, translated."""
    detail_ = "; ".join(" ".join(translate(str(m)) for m in v) for v in exc.errors.values() if v)
    return f"{translate(exc.message)} {detail_}".strip()


def _back(campaign_id: int):
    return redirect(url_for("livestream_campaigns.detail", campaign_id=campaign_id), 303)


@bp.route("/<int:campaign_id>/status", methods=["POST"])
@page_roles(*HQ_ROLES)
def status(campaign_id: int):
    """Move the status (the buttons on the detail page)."""
    campaign = campaign_or_404(campaign_id)
    with flashed(_("Status changed."), _refusal):
        service.set_status(campaign.id, request.form.get("to", ""), required_principal().user_id)
    return _back(campaign.id)


@bp.route("/<int:campaign_id>/steps/<int:step_id>", methods=["POST"])
@page_roles(*HQ_ROLES)
def step(campaign_id: int, step_id: int):
    """Mark a step done, reopen it or re-date it (``action`` = done | reopen | dates)."""
    campaign = campaign_or_404(campaign_id)
    action = request.form.get("action")
    if action not in ("done", "reopen", "dates"):
        flash(_("Unknown action."), "error")
        return _back(campaign.id)
    with flashed(_("Step updated."), _refusal):
        if action == "done":
            timeline.mark_done(
                step_id,
                required_principal().user_id,
                campaign.id,
                request.form.get("early_reason"),
            )
        elif action == "reopen":
            timeline.reopen(step_id, campaign.id)
        else:
            timeline.edit_step(
                step_id,
                request.form.get("starts_on", ""),
                request.form.get("due_on", ""),
                campaign_id=campaign.id,
            )
    return _back(campaign.id)


@bp.route("/<int:campaign_id>/sessions/<int:session_id>", methods=["POST"])
@page_roles(*HQ_ROLES)
def session(campaign_id: int, session_id: int):
    """Re-time a session or change its anchor (the form in the sessions table)."""
    campaign = campaign_or_404(campaign_id)
    if session_id not in {s.id for s in campaign.sessions}:
        raise NotFound("Session not found")
    try:
        form = load_form(SessionFormSchema(), request.form)
    except FormInvalid as exc:
        flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
        return _back(campaign.id)
    with flashed(_("Session updated."), _refusal):
        service.update_session(
            session_id,
            form.get("starts_at"),
            form.get("duration_minutes"),
            (form.get("anchor_userid") or "").strip() or None,
        )
    return _back(campaign.id)
