"""Guide (mobile): my campaigns (``/m/live``) and my training checklist.

``campaigns`` lists the campaigns the guide's store takes part in with the guide's own
checklist progress; ``checklist`` shows the items in order with a tick button or an
answer box (a wrong answer shows "try again"); posting an answer goes through
``livestream.services.training.answer`` — JSON for the page's small fetch script, a
redirect back for a plain form post. A guide only ever sees and answers their own
checklist (their ``guide_id`` from the principal); another store's campaign is 404.
"""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.clock import shanghai_day
from app.errors import DomainError, NotFound
from app.extensions import db
from app.web.pages import pages_blueprint
from livestream.models import Campaign
from livestream.services import training as service
from livestream.services.access import campaign_or_404, visible_campaigns
from livestream.services.training_board import guide_checklist_columns

bp = pages_blueprint("livestream_guide", __name__, "/m/live")


def _guide_id() -> int:
    principal = required_principal()
    if principal.guide_id is None:
        raise NotFound("Campaign not found")
    return principal.guide_id


def checklist_counts(campaign_ids: list[int], guide_id: int) -> dict[int, tuple[int, int, bool]]:
    """``{campaign_id: (done, required, completed)}`` for the guide, without writing."""
    if not campaign_ids:
        return {}
    rows = db.session.execute(
        select(Campaign.id, *guide_checklist_columns(guide_id)).where(Campaign.id.in_(campaign_ids))
    )
    return {row.id: (row.done, row.required, bool(row.completed)) for row in rows}


@bp.route("")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def campaigns():
    """The campaigns my store takes part in, latest live first, with my checklist progress."""
    guide_id = _guide_id()
    rows = db.session.scalars(
        visible_campaigns(select(Campaign)).order_by(Campaign.live_at.desc(), Campaign.id)
    ).all()
    mine = checklist_counts([c.id for c in rows], guide_id)
    views = current_app.view_functions
    return render_template(
        "livestream/guide/campaigns/list.html",
        items=[{"campaign": c, "counts": mine[c.id]} for c in rows],
        has_share="livestream_share.share" in views,
        has_results="livestream_results.results" in views,
    )


@bp.route("/<int:campaign_id>/checklist")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def checklist(campaign_id: int):
    """My checklist for the campaign: items in order, my answers, completion and deadline."""
    guide_id = _guide_id()
    campaign = campaign_or_404(campaign_id)
    progress = service.progress_for(campaign.id, guide_id)
    items = service.items_of(campaign.id)
    done, total = service.counts(items, progress)
    due_day = service.training_due_day(campaign)
    return render_template(
        "livestream/guide/campaigns/checklist.html",
        campaign=campaign,
        items=items,
        answers=service.answers_by_item(progress),
        progress=progress,
        done=done,
        total=total,
        due_day=due_day,
        overdue=(progress is None or progress.completed_at is None) and shanghai_day() > due_day,
        kind_labels=service.KIND_LABELS,
    )


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


@bp.post("/<int:campaign_id>/checklist/<int:item_id>")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def answer(campaign_id: int, item_id: int):
    """Tick an item / answer a question; JSON for fetch, else back to the checklist."""
    guide_id = _guide_id()
    campaign = campaign_or_404(campaign_id)
    payload: Any = request.get_json(silent=True) if request.is_json else request.form
    text = payload.get("answer") if hasattr(payload, "get") else None
    if text is not None and not isinstance(text, str):
        text = str(text)
    try:
        progress = service.answer(campaign.id, guide_id, item_id, text)
    except DomainError as exc:
        if exc.status == 404:
            raise
        message = _(next(iter(exc.errors.get("answer") or []), exc.message))
        if _wants_json():
            return jsonify({"code": exc.code, "message": message, "errors": exc.errors}), 422
        flash(message, "error")
        return redirect(url_for(".checklist", campaign_id=campaign.id, _anchor=f"item-{item_id}"))
    items = service.items_of(campaign.id)
    done, total = service.counts(items, progress)
    mine = service.answers_by_item(progress).get(item_id)
    correct = bool(mine and mine.correct)
    if _wants_json():
        return jsonify(
            {
                "item_id": item_id,
                "correct": correct,
                "done": done,
                "total": total,
                "completed": progress.completed_at is not None,
                "is_late": progress.is_late,
                "message": _("Correct") if correct else _("Not quite, try again"),
            }
        )
    if not correct:
        flash(_("Not quite, try again"), "warning")
    elif progress.completed_at is not None:
        flash(_("Training done — well done!"), "success")
    return redirect(url_for(".checklist", campaign_id=campaign.id, _anchor=f"item-{item_id}"), 303)
