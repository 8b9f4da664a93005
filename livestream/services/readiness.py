"""The readiness gate: is every participating store ready to go live?

Per store: active guides, guides who finished training (``TrainingProgress.completed_at``)
and the latest link check. Blockers are dicts ``{"code", "store_id", "store_name",
"message", "params"}``; ``message`` is an English msgid with ``%(name)s`` placeholders
filled from ``params`` when shown (``describe``). HQ may override a blocked gate with a
reason; a later revoke ends the override. Every check, override, revoke and go-live is
kept as a ``GateDecision`` with its ``kind``.
"""

from __future__ import annotations

from typing import cast

from flask_babel import gettext
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult

from app.auth.principal import current_principal
from app.db import commit_or_rollback
from app.errors import Conflict, NotFound
from app.extensions import db
from app.i18n import tr
from app.schemas import BAD_TEXT
from app.web.i18n import N_
from franchise.models import Guide
from franchise.services.base import invalid
from livestream.models import Campaign, CampaignStore, GateDecision, LiveSession, TrainingProgress
from livestream.models.campaigns import (
    LIVE,
    OVER,
    SCHEDULED,
    SESSION_LIVING,
    SESSION_SCHEDULED,
)
from livestream.services import linkcheck
from livestream.services.gate_decisions import (  # noqa: F401 - part of this module's API
    CHECK,
    GO_LIVE,
    OVERRIDE,
    REVOKE,
    active_override,
    decision_dict,
    decision_kind,
    decision_reason,
    history,
)

MESSAGES = {
    "no_stores": N_("No store takes part in the campaign."),
    "empty_lineup": N_("The line-up has no products."),
    "not_scheduled": N_("The campaign is not scheduled."),
    "no_guides": N_("The store has no active guides."),
    "training_below_threshold": N_(
        "%(trained)s of %(total)s guides trained (%(pct)s%%), below %(threshold)s%%."
    ),
    "link_check_missing": N_("No link check has been run."),
    "link_check_pending": N_("The link check is still running."),
    "link_check_failed": N_("Link check failed: %(products)s."),
}
REASON_MIN, REASON_MAX = 5, 255


def blocker(code: str, store: CampaignStore | None = None, **params) -> dict:
    """One blocker; campaign-level ones have no store."""
    return {
        "code": code,
        "store_id": store.store_id if store else None,
        "store_name": store.store.name if store else None,
        "message": MESSAGES[code],
        "params": params,
    }


def describe(item: dict) -> str:
    """A blocker's message translated with its params filled in."""
    params = item.get("params") or {}
    return gettext(item.get("message", ""), **params) if params else gettext(item["message"])


def _guide_counts(campaign_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """Active guides per store, and of those the ones who finished the training."""
    active = dict(
        db.session.execute(
            select(Guide.store_id, func.count(Guide.id))
            .join(CampaignStore, CampaignStore.store_id == Guide.store_id)
            .where(CampaignStore.campaign_id == campaign_id, Guide.status == "active")
            .group_by(Guide.store_id)
        ).all()
    )
    trained = dict(
        db.session.execute(
            select(Guide.store_id, func.count(Guide.id))
            .join(TrainingProgress, TrainingProgress.guide_id == Guide.id)
            .join(CampaignStore, CampaignStore.store_id == Guide.store_id)
            .where(
                CampaignStore.campaign_id == campaign_id,
                TrainingProgress.campaign_id == campaign_id,
                TrainingProgress.completed_at.is_not(None),
                Guide.status == "active",
            )
            .group_by(Guide.store_id)
        ).all()
    )
    return active, trained


def _link_state(run) -> str:
    if run is None:
        return "missing"
    if run.status != linkcheck.DONE:
        return "pending"
    return "passed" if run.passed else "failed"


def evaluate(campaign: Campaign) -> dict:
    """``{"ready", "blockers", "stores"}`` of the campaign as it stands now."""
    blockers: list[dict] = []
    if campaign.status not in (SCHEDULED, LIVE):
        blockers.append(blocker("not_scheduled", status=campaign.status))
    if not campaign.lineup:
        blockers.append(blocker("empty_lineup"))
    if not campaign.stores:
        blockers.append(blocker("no_stores"))
    active, trained = _guide_counts(campaign.id)
    runs = linkcheck.latest_runs(campaign.id)
    threshold = campaign.gate_threshold_pct
    stores = []
    for member in campaign.stores:
        total, done = active.get(member.store_id, 0), trained.get(member.store_id, 0)
        pct = round(done * 100 / total) if total else 0
        run = runs.get(member.store_id)
        state = _link_state(run)
        failing = linkcheck.failing_products(run)
        row = {
            "store_id": member.store_id,
            "store_name": member.store.name,
            "franchisee_id": member.franchisee_id,
            "region_id": member.region_id,
            "guides": total,
            "trained": done,
            "trained_pct": pct,
            "link_check": state,
            "link_check_id": run.id if run else None,
            "link_check_at": run.run_at.isoformat() if run else None,
            "failing_products": [e["name"] for e in failing],
            "blockers": [],
        }
        if total == 0:
            row["blockers"].append(blocker("no_guides", member))
        elif done * 100 < threshold * total:
            row["blockers"].append(
                blocker(
                    "training_below_threshold",
                    member,
                    trained=done,
                    total=total,
                    pct=pct,
                    threshold=threshold,
                )
            )
        if campaign.gate_requires_link_check:
            if state == "missing":
                row["blockers"].append(blocker("link_check_missing", member))
            elif state == "pending":
                row["blockers"].append(blocker("link_check_pending", member))
            elif state == "failed":
                names = "、".join(e["name"] for e in failing)
                row["blockers"].append(
                    blocker(
                        "link_check_failed",
                        member,
                        products=names,
                        product_ids=[e["product_id"] for e in failing],
                    )
                )
        row["ready"] = not row["blockers"]
        blockers.extend(row["blockers"])
        stores.append(row)
    return {"ready": not blockers, "blockers": blockers, "stores": stores}


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Campaign not found")
    return campaign


def gate(campaign_id: int) -> dict:
    """The verdict with the override: ready when no blockers, or while overridden."""
    campaign = _campaign(campaign_id)
    result = evaluate(campaign)
    current = active_override(campaign.id)
    return {
        "ready": result["ready"] or current is not None,
        "evaluated_ready": result["ready"],
        "blockers": result["blockers"],
        "overridden": current is not None,
        "override": decision_dict(current) if current is not None else None,
        "stores": result["stores"],
        "threshold_pct": campaign.gate_threshold_pct,
        "requires_link_check": campaign.gate_requires_link_check,
        "status": campaign.status,
    }


def _decision(
    campaign_id: int,
    kind: str,
    ready: bool,
    blockers: list,
    reason: str,
    user_id: int | None,
    override: bool = False,
) -> GateDecision:
    """A new ``GateDecision`` added to the session (the caller commits)."""
    decision = GateDecision(
        campaign_id=campaign_id,
        kind=kind,
        ready=ready,
        blockers=blockers,
        override=override,
        reason=reason,
        decided_by=user_id,
    )
    db.session.add(decision)
    return decision


def record_check(campaign_id: int, user_id: int | None) -> GateDecision:
    """Keep the current evaluation in the history; commits."""
    result = evaluate(_campaign(campaign_id))
    decision = _decision(
        campaign_id, CHECK, result["ready"], result["blockers"], "", user_id, override=False
    )
    commit_or_rollback(db.session)
    return decision


def clean_reason(reason) -> str:
    """The reason trimmed, or a 422 when it is not 5 to 255 characters."""
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if BAD_TEXT.search(text):
        raise invalid("reason", "Control characters and invalid Unicode are not allowed.")
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise invalid(
            "reason",
            tr("Give a reason of %(min)s to %(max)s characters.", min=REASON_MIN, max=REASON_MAX),
        )
    return text


def override(campaign_id: int, reason, user_id: int | None) -> GateDecision:
    """HQ opens the gate despite the blockers, with a reason; commits."""
    text = clean_reason(reason)
    campaign = _campaign(campaign_id)
    if campaign.status in OVER:
        raise Conflict("This campaign is over.")
    result = evaluate(campaign)
    decision = _decision(
        campaign.id, OVERRIDE, True, result["blockers"], text, user_id, override=True
    )
    commit_or_rollback(db.session)
    return decision


def revoke_override(campaign_id: int, user_id: int | None, reason: str = "") -> GateDecision:
    """End the current override (409 when there is none); commits."""
    campaign = _campaign(campaign_id)
    if active_override(campaign.id) is None:
        raise Conflict("The gate is not overridden.")
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    text = "" if BAD_TEXT.search(text) else text[:REASON_MAX]
    result = evaluate(campaign)
    decision = _decision(
        campaign.id, REVOKE, result["ready"], result["blockers"], text, user_id, override=False
    )
    commit_or_rollback(db.session)
    return decision


def go_live(campaign_id: int, user_id: int | None) -> GateDecision:
    """Scheduled → live when the gate is open (ready or overridden); commits.

    409 when the campaign is not scheduled, or with the blockers in ``errors`` when blocked.
    """
    campaign = _campaign(campaign_id)
    if campaign.status != SCHEDULED:
        raise Conflict("Only a scheduled campaign can go live.")
    verdict = gate(campaign.id)
    if not verdict["ready"]:
        raise Conflict(
            "The readiness gate is blocked.",
            code="gate_blocked",
            errors={
                "blockers": [
                    f"{b['store_name']}: {describe(b)}" if b["store_name"] else describe(b)
                    for b in verdict["blockers"]
                ]
            },
        )
    moved = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == SCHEDULED)
        .values(status=LIVE)
    )
    if cast(CursorResult, moved).rowcount != 1:
        db.session.rollback()
        raise Conflict("Only a scheduled campaign can go live.")
    db.session.execute(
        update(LiveSession)
        .where(LiveSession.campaign_id == campaign.id, LiveSession.status == SESSION_SCHEDULED)
        .values(status=SESSION_LIVING)
    )
    note = "overridden" if verdict["overridden"] and not verdict["evaluated_ready"] else "ready"
    decision = _decision(
        campaign.id, GO_LIVE, True, verdict["blockers"], note, user_id, override=False
    )
    commit_or_rollback(db.session)
    db.session.expire_all()
    return decision


def for_viewer(verdict: dict, principal=None) -> dict:
    """The verdict limited to what the caller may see, with each blocker's ``text``.

    Owners get the campaign-level blockers and their own stores' only, and ``ready`` is
    the verdict of what they see (or the override).
    """
    principal = principal or current_principal()
    verdict = dict(verdict)
    for item in verdict["blockers"]:
        item["text"] = describe(item)
    if principal is None or principal.is_hq:
        return verdict
    stores = [s for s in verdict["stores"] if s["franchisee_id"] == principal.franchisee_id]
    mine = {s["store_id"] for s in stores}
    blockers = [b for b in verdict["blockers"] if b["store_id"] is None or b["store_id"] in mine]
    if verdict["override"]:
        seen = verdict["override"]["blockers"]
        verdict["override"] = {
            **verdict["override"],
            "blockers": [b for b in seen if b.get("store_id") is None or b["store_id"] in mine],
        }
    verdict.update(
        stores=stores,
        blockers=blockers,
        evaluated_ready=not blockers,
        ready=not blockers or verdict["overridden"],
    )
    return verdict
