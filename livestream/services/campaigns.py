"""Campaign rules: create / edit (participants, sessions, line-up, timeline), status moves.

``save_campaign`` validates everything and reports every bad field at once (422, errors
keyed by field; line-up rows as ``lineup.<i>.<field>``). Participants are the OPEN stores
of ACTIVE franchisees in the chosen regions / franchisees / stores, copied into
``CampaignStore`` rows. Sessions follow the mode: one HQ session, or one per store.
Status moves: draft → scheduled | cancelled, scheduled → cancelled, live → ended,
ended → reviewed (scheduled → live is the readiness gate's ``go_live``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from app.clock import as_utc, utcnow
from app.db import commit_or_rollback
from app.errors import Conflict, NotFound
from app.extensions import db
from app.i18n import tr
from franchise.models import Franchisee, Guide, Store
from franchise.services.base import Invalid
from livestream.models.campaigns import (
    CANCELLED,
    DRAFT,
    ENDED,
    LIVE,
    MODE_HQ,
    MODE_STORE,
    REVIEWED,
    SCHEDULED,
    SESSION_ENDED,
    STEP_REVIEW,
    Campaign,
    CampaignStore,
    LineupItem,
    LiveSession,
)
from livestream.services import timeline, warmup
from livestream.services.access import get_campaign
from livestream.services.attribution import sold_quantities
from livestream.services.campaign_input import validate

# status → the statuses set_status may move it to (scheduled → live is go_live's)
NEXT_STATUSES = {
    DRAFT: (SCHEDULED, CANCELLED),
    SCHEDULED: (CANCELLED,),
    LIVE: (ENDED,),
    ENDED: (REVIEWED,),
    REVIEWED: (),
    CANCELLED: (),
}
EDITABLE = (DRAFT, SCHEDULED)


def resolve_stores(region_ids, franchisee_ids, store_ids) -> list[Store]:
    """The open stores of active franchisees in any of the chosen units, by id."""
    if not (region_ids or franchisee_ids or store_ids):
        return []
    stmt = (
        select(Store)
        .join(Franchisee, Franchisee.id == Store.franchisee_id)
        .where(
            Store.is_open.is_(True),
            Franchisee.status == "active",
            or_(
                Store.region_id.in_(region_ids or [-1]),
                Store.franchisee_id.in_(franchisee_ids or [-1]),
                Store.id.in_(store_ids or [-1]),
            ),
        )
        .order_by(Store.id)
    )
    return list(db.session.scalars(stmt))


def _anchor(store_id: int) -> str:
    """The store's first active guide's WeCom userid ("" when it has none)."""
    return (
        db.session.scalar(
            select(Guide.wecom_userid)
            .where(Guide.store_id == store_id, Guide.status == "active")
            .order_by(Guide.id)
            .limit(1)
        )
        or ""
    )


def _per_store(rows: list, stores: list[Store]) -> list[tuple[Store, Any]]:
    """Drop from ``rows`` (a campaign's rows of one kind, each of a store) those of a store
    not in ``stores``; each wanted store with its row, or None where it has none yet."""
    wanted = {s.id for s in stores}
    for row in list(rows):
        if row.store_id not in wanted:
            rows.remove(row)
    have = {row.store_id: row for row in rows}
    return [(store, have.get(store.id)) for store in stores]


def _sync_stores(campaign: Campaign, stores: list[Store]) -> None:
    for store, row in _per_store(campaign.stores, stores):
        if row is None:
            campaign.stores.append(
                CampaignStore(
                    store_id=store.id, franchisee_id=store.franchisee_id, region_id=store.region_id
                )
            )
        else:
            row.franchisee_id, row.region_id = store.franchisee_id, store.region_id


def _sync_sessions(campaign: Campaign, stores: list[Store], old_live_at: datetime | None) -> None:
    """One HQ session, or one per store; untouched start times follow ``live_at``."""

    def follow(session: LiveSession) -> None:
        if old_live_at is None or as_utc(session.starts_at) == as_utc(old_live_at):
            session.starts_at = campaign.live_at
        if old_live_at is None or session.duration_minutes == campaign.duration_minutes:
            session.duration_minutes = campaign.duration_minutes

    session: LiveSession | None  # each existing session, then the one for each store
    if campaign.mode == MODE_HQ:
        keep = next((s for s in campaign.sessions if s.store_id is None), None)
        for session in list(campaign.sessions):
            if session is not keep:
                campaign.sessions.remove(session)
        if keep is None:
            keep = LiveSession(store_id=None, franchisee_id=None, starts_at=campaign.live_at)
            campaign.sessions.append(keep)
        keep.title = campaign.name[:60]
        follow(keep)
        return
    for store, session in _per_store(campaign.sessions, stores):
        if session is None:
            session = LiveSession(
                store_id=store.id,
                franchisee_id=store.franchisee_id,
                title=f"{store.name} 店播"[:60],
                starts_at=campaign.live_at,
                duration_minutes=campaign.duration_minutes,
                anchor_userid=_anchor(store.id),
            )
            campaign.sessions.append(session)
        else:
            follow(session)


def _sync_lineup(campaign: Campaign, rows: list[dict]) -> None:
    """Replace the line-up (rows matched by product keep their id)."""
    have = {item.product_id: item for item in campaign.lineup}
    wanted = {row["product_id"] for row in rows}
    item: LineupItem | None  # each existing item, then the one for each row
    for item in list(campaign.lineup):
        if item.product_id not in wanted:
            campaign.lineup.remove(item)
    db.session.flush()  # free the (campaign, product) keys before re-adding
    for sort, row in enumerate(rows):
        item = have.get(row["product_id"])
        if item is None:
            # orders may already carry the campaign (placed before the live at list price)
            counted = sold_quantities(campaign.id, [row["product_id"]]) if campaign.id else {}
            item = LineupItem(product_id=row["product_id"], sold=sum(counted.values()))
            campaign.lineup.append(item)
        item.live_price_fen, item.stock_cap = row["live_price_fen"], row["stock_cap"] or 0
        item.coupon_template_id, item.sort = row["coupon_template_id"], sort


def save_campaign(data: dict, campaign: Campaign | None = None, user_id=None) -> Campaign:
    """Create (``campaign`` None) or change a campaign; commits.

    On change only the keys present in ``data`` are touched. Only draft and scheduled
    campaigns can be edited (else 409). Creating generates the timeline; moving the live
    re-dates the open steps; a scheduled campaign's warm-up plan follows.
    """
    if campaign is not None and campaign.status not in EDITABLE:
        raise Conflict(tr("Only draft or scheduled campaigns can be edited."))
    clean = validate(data, campaign)
    creating = campaign is None
    old_live_at = None if campaign is None else as_utc(campaign.live_at)
    lineup = clean.pop("lineup", None)
    if creating:
        campaign = Campaign(created_by=user_id, status=DRAFT, created_at=utcnow())
        db.session.add(campaign)
    assert campaign is not None  # given, or made just now
    for key, value in clean.items():
        if value is not None or key == "warmup_post_id":
            setattr(campaign, key, value)
    if campaign.duration_minutes is None:
        campaign.duration_minutes = 120
    stores = resolve_stores(campaign.region_ids, campaign.franchisee_ids, campaign.store_ids)
    if campaign.status == SCHEDULED and not stores:
        db.session.rollback()
        raise Invalid(
            tr("The request has invalid fields."),
            errors={"store_ids": [tr("A scheduled campaign needs at least one open store.")]},
        )
    if campaign.status == SCHEDULED and lineup is not None and not lineup:
        db.session.rollback()
        raise Invalid(
            tr("The request has invalid fields."),
            errors={"lineup": [tr("A scheduled campaign needs at least one product.")]},
        )
    _sync_stores(campaign, stores)
    _sync_sessions(campaign, stores, old_live_at)
    if lineup is not None:
        _sync_lineup(campaign, lineup)
    if creating:
        timeline.generate(campaign)
    elif old_live_at != as_utc(campaign.live_at):
        timeline.shift(campaign, old_live_at)
    commit_or_rollback(db.session)
    if campaign.status == SCHEDULED or campaign.warmup_plan_id:
        warmup.ensure_warmup_plan(campaign)
    return campaign


def allowed_moves(campaign: Campaign) -> tuple[str, ...]:
    """The statuses ``set_status`` may move this campaign to now."""
    return NEXT_STATUSES.get(campaign.status, ())


def set_status(campaign_id: int, to: str, user_id: int | None = None) -> Campaign:
    """Move the campaign's status (see ``NEXT_STATUSES``); commits. Illegal → 409 with
    the allowed next states in ``errors["allowed"]``."""
    campaign = get_campaign(campaign_id)
    allowed = allowed_moves(campaign)
    if to not in allowed:
        raise Conflict(
            tr("A %(status)s campaign cannot move to %(to)s.", status=campaign.status, to=to),
            errors={
                "to": [tr("Allowed: %(moves)s.", moves=", ".join(allowed) or "-")],
                "allowed": list(allowed),
            },
        )
    if to == SCHEDULED:
        missing = {}
        if not campaign.stores:
            missing["stores"] = [tr("No participating store.")]
        if not campaign.lineup:
            missing["lineup"] = [tr("No product in the line-up.")]
        if missing:
            raise Conflict(tr("The campaign is not complete."), errors=missing)
    campaign.status = to
    if to == ENDED:
        for session in campaign.sessions:
            session.status = SESSION_ENDED
    if to == REVIEWED:
        step = timeline.step_of(campaign, STEP_REVIEW)
        if step is not None and step.done_at is None:
            step.done_at, step.done_by = utcnow(), user_id
    commit_or_rollback(db.session)
    if to in (SCHEDULED, CANCELLED):
        warmup.ensure_warmup_plan(campaign)
    return campaign


def update_session(
    session_id: int,
    starts_at: datetime | None = None,
    duration_minutes: int | None = None,
    anchor_userid: str | None = None,
) -> LiveSession:
    """Change one session's start, duration or anchor (while it has not run); commits."""
    session = db.session.get(LiveSession, session_id) if isinstance(session_id, int) else None
    if session is None:
        raise NotFound("Session not found")
    if session.status != "scheduled":
        raise Conflict(tr("The session already ran."))
    errors: dict[str, list[str]] = {}
    if starts_at is not None:
        if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
            errors["starts_at"] = [tr("An aware date and time.")]
        elif abs(starts_at - as_utc(session.campaign.live_at)) > timedelta(days=2):
            errors["starts_at"] = [tr("Within two days of the campaign's live.")]
    if duration_minutes is not None and not (
        type(duration_minutes) is int and 15 <= duration_minutes <= 720
    ):
        errors["duration_minutes"] = [tr("From 15 to 720 minutes.")]
    if anchor_userid is not None and (
        not isinstance(anchor_userid, str) or len(anchor_userid.strip()) > 64
    ):
        errors["anchor_userid"] = [tr("At most 64 characters.")]
    if errors:
        raise Invalid(tr("The request has invalid fields."), errors=errors)
    if starts_at is not None:
        session.starts_at = starts_at.astimezone(UTC)
    if duration_minutes is not None:
        session.duration_minutes = duration_minutes
    if anchor_userid is not None:
        session.anchor_userid = anchor_userid.strip()
    db.session.commit()
    return session


__all__ = [
    "MODE_HQ",
    "MODE_STORE",
    "allowed_moves",
    "get_campaign",
    "resolve_stores",
    "save_campaign",
    "set_status",
    "update_session",
]
