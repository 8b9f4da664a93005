"""The readiness gate (with override and go-live) and the link check report.

``gate`` (GET ``/<id>/readiness``): a big READY / BLOCKED verdict, the blockers, a table
per store (guides trained with a progress bar, link check state), the threshold, HQ's
override form (reason required), the decision history and the go-live button.
``link_check`` (GET ``/<id>/link-check``): run a check (all stores or one), progress
while runs are pending (a small poll of ``link_check_status`` reloads the page when
done), and the report per store and product with each problem named, failures first.
Owners read their own stores only; the POST endpoints are HQ's. Views never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.principal import current_principal, required_principal
from app.errors import DomainError
from app.schemas import MAX_ID, url_id
from franchise.services.settings import live_price_floor_pct
from livestream.admin import campaign_pages
from livestream.models.campaigns import SCHEDULED
from livestream.services import linkcheck, readiness
from livestream.services.access import campaign_or_404
from livestream.services.campaign_input import below_floor

bp = campaign_pages("livestream_readiness", __name__)

PROBLEM_LABELS = {
    linkcheck.INACTIVE: _l("Product inactive"),
    linkcheck.UNPRICED: _l("No price"),
    linkcheck.OUT_OF_STOCK: _l("Out of stock"),
    linkcheck.CAP_REACHED: _l("Live stock cap reached"),
    linkcheck.COUPON_INVALID: _l("Coupon invalid"),
    linkcheck.NOT_PAYABLE: _l("Payment refused"),
}
LINK_STATE_LABELS = {
    "passed": _l("Passed"),
    "failed": _l("Failed"),
    "pending": _l("Running"),
    "missing": _l("Not run"),
}
KIND_LABELS = {
    readiness.CHECK: _l("Verdict recorded"),
    readiness.OVERRIDE: _l("Gate override"),
    readiness.REVOKE: _l("Override revoked"),
    readiness.GO_LIVE: _l("Went live"),
}


def _campaign(campaign_id: int):
    return campaign_or_404(url_id(campaign_id))


def _hq_only() -> None:
    principal = current_principal()
    if principal is None or not principal.is_hq:
        abort(403)


def _user_id():
    principal = required_principal()
    return principal.user_id


def render_gate(campaign, errors: dict | None = None, reason: str = "", status: int = 200):
    """The gate page; ``errors`` and ``reason`` refill the override form."""
    verdict = readiness.for_viewer(readiness.gate(campaign.id))
    principal = required_principal()
    is_hq = principal.is_hq
    history = readiness.history(campaign.id) if is_hq else []
    for item in [*history, verdict["override"] or {}]:
        if item:
            item["at"] = datetime.fromisoformat(item["decided_at"])
    go_live_block = None
    if campaign.status != SCHEDULED:
        go_live_block = _("Only a scheduled campaign can go live.")
    elif not verdict["ready"]:
        go_live_block = _("Blocked: clear the blockers or override the gate.")
    return (
        render_template(
            "livestream/admin/readiness/gate.html",
            campaign=campaign,
            verdict=verdict,
            is_hq=is_hq,
            history=history,
            describe=readiness.describe,
            link_labels=LINK_STATE_LABELS,
            kind_labels=KIND_LABELS,
            go_live_block=go_live_block,
            errors=errors or {},
            reason=reason,
            reason_min=readiness.REASON_MIN,
            reason_max=readiness.REASON_MAX,
        ),
        status,
    )


@bp.get("/<int:campaign_id>/readiness")
@page_roles(*ADMIN_UI_ROLES)
def gate(campaign_id: int):
    """The readiness gate of a campaign."""
    return render_gate(_campaign(campaign_id))


@bp.post("/<int:campaign_id>/readiness/override")
@page_roles(*ADMIN_UI_ROLES)
def override(campaign_id: int):
    """HQ overrides the gate with a reason; a bad reason re-renders the page (422)."""
    _hq_only()
    campaign = _campaign(campaign_id)
    reason = request.form.get("reason", "")[:2000]
    try:
        readiness.override(campaign.id, reason, _user_id())
    except DomainError as exc:
        status = 409 if exc.status == 409 else 422
        errors = exc.errors or {"reason": [exc.message]}
        return render_gate(campaign, errors=errors, reason=reason, status=status)
    flash(_("The gate is overridden; the reason is recorded."), "success")
    return redirect(url_for(".gate", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/readiness/revoke")
@page_roles(*ADMIN_UI_ROLES)
def revoke(campaign_id: int):
    """HQ ends the override."""
    _hq_only()
    campaign = _campaign(campaign_id)
    try:
        readiness.revoke_override(campaign.id, _user_id(), request.form.get("reason", "")[:200])
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The override is revoked."), "success")
    return redirect(url_for(".gate", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/readiness/check")
@page_roles(*ADMIN_UI_ROLES)
def record(campaign_id: int):
    """HQ keeps the current verdict in the decision history."""
    _hq_only()
    campaign = _campaign(campaign_id)
    readiness.record_check(campaign.id, _user_id())
    flash(_("The verdict is recorded."), "success")
    return redirect(url_for(".gate", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/go-live")
@page_roles(*ADMIN_UI_ROLES)
def go_live(campaign_id: int):
    """HQ starts the live when the gate is open."""
    _hq_only()
    campaign = _campaign(campaign_id)
    try:
        readiness.go_live(campaign.id, _user_id())
    except DomainError as exc:
        flash(exc.message, "error")
        return render_gate(campaign, status=409)
    flash(_("The campaign is live."), "success")
    return redirect(url_for(".gate", campaign_id=campaign.id))


def store_reports(campaign_id: int) -> list[dict]:
    """Per visible store: the latest run with its products, failing ones first."""
    verdict = readiness.for_viewer(readiness.gate(campaign_id))
    runs = {run.store_id: run for run in linkcheck.visible_runs(campaign_id)}
    reports = []
    for store in verdict["stores"]:
        run = runs.get(store["store_id"])
        entries = sorted(run.results or [], key=lambda e: bool(e.get("ok"))) if run else []
        reports.append(
            {
                "store": store,
                "run": run,
                "state": store["link_check"],
                "entries": entries if run and run.status == linkcheck.DONE else [],
                "failed": sum(1 for e in entries if not e.get("ok")),
            }
        )
    order = {"failed": 0, "pending": 1, "missing": 2, "passed": 3}
    return sorted(reports, key=lambda r: order.get(r["state"], 9))


@bp.get("/<int:campaign_id>/link-check")
@page_roles(*ADMIN_UI_ROLES)
def link_check(campaign_id: int):
    """The link check report of a campaign."""
    principal = required_principal()
    campaign = _campaign(campaign_id)
    reports = store_reports(campaign.id)
    pending = sum(1 for r in reports if r["state"] == "pending")
    runs = [r for r in reports if r["run"] is not None]
    return render_template(
        "livestream/admin/readiness/link_check.html",
        campaign=campaign,
        reports=reports,
        pending=pending,
        done=len(runs) - pending,
        total=len(runs),
        is_hq=principal.is_hq,
        problem_labels=PROBLEM_LABELS,
        link_labels=LINK_STATE_LABELS,
        floor_pct=live_price_floor_pct(),
        low_prices=[
            item
            for item in campaign.lineup
            if below_floor(item.live_price_fen, item.product.price_fen, live_price_floor_pct())
        ],
    )


@bp.post("/<int:campaign_id>/link-check")
@page_roles(*ADMIN_UI_ROLES)
def run_link_check(campaign_id: int):
    """HQ queues a link check for every store, or the one chosen."""
    _hq_only()
    campaign = _campaign(campaign_id)
    raw = (request.form.get("store_id") or "").strip()
    store_id = int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_ID else None
    if raw and store_id is None:
        flash(_("Choose a store of the campaign."), "error")
        return redirect(url_for(".link_check", campaign_id=campaign.id))
    try:
        runs = linkcheck.request_link_check(campaign.id, store_id, _user_id())
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Link check started for %(n)s store(s).", n=len(runs)), "success")
    return redirect(url_for(".link_check", campaign_id=campaign.id))


@bp.get("/<int:campaign_id>/link-check/status")
@page_roles(*ADMIN_UI_ROLES)
def link_check_status(campaign_id: int):
    """JSON for the page's poll: how many of the visible stores' runs are done."""
    campaign = _campaign(campaign_id)
    runs = linkcheck.visible_runs(campaign.id)
    done = sum(1 for r in runs if r.status == linkcheck.DONE)
    return jsonify(
        {
            "campaign_id": campaign.id,
            "done": done,
            "total": len(runs),
            "pending": len(runs) - done,
            "stores": [
                {"store_id": r.store_id, "status": r.status, "passed": r.passed} for r in runs
            ],
        }
    )
