"""Who may see which campaign: HQ all of them; a franchise owner those their franchise
takes part in; a guide those their store takes part in (drafts and cancelled ones only
for HQ). Every campaign lookup by id goes through ``campaign_or_404`` (the tenant rule:
another tenant's campaign does not exist for the caller)."""

from __future__ import annotations

from sqlalchemy import Select, exists, select

from app.auth.models import FRANCHISE_OWNER, GUIDE
from app.auth.principal import Principal, current_principal
from app.db import fixed_values
from app.errors import NotFound
from app.extensions import db
from app.schemas import MAX_ID, url_id
from livestream.models import Campaign, CampaignStore
from livestream.models.campaigns import NOT_OPEN


def get_campaign(campaign_id: int) -> Campaign:
    """A campaign by id for a service (no visibility check: views go through
    ``campaign_or_404``), else ``NotFound``."""
    campaign = db.session.get(Campaign, campaign_id) if isinstance(campaign_id, int) else None
    if campaign is None:
        raise NotFound("Campaign not found")
    return campaign


def campaign_row_or_404(model, row_id: int, campaign_id: int, message: str):
    """``model``'s row ``row_id`` when it belongs to campaign ``campaign_id`` (a target, a
    rule), else ``NotFound(message)``; an id out of the key's range is simply not found."""
    row = db.session.get(model, url_id(row_id))
    if row is None or row.campaign_id != campaign_id:
        raise NotFound(message)
    return row


ALL, NOTHING = "*all", "*nothing"  # visibility's answers for HQ and for a caller who sees none


def visibility(principal: Principal | None) -> tuple[str, int | None]:
    """Which campaigns ``principal`` sees: ``(ALL, None)`` (HQ), ``("franchisee", id)``
    or ``("store", id)`` (those the franchise or store takes part in, not drafts or
    cancelled ones), ``(NOTHING, None)``."""
    if principal is None:
        return NOTHING, None
    if principal.is_hq:
        return ALL, None
    if principal.role == FRANCHISE_OWNER and principal.franchisee_id is not None:
        return "franchisee", principal.franchisee_id
    if principal.role == GUIDE and principal.store_id is not None:
        return "store", principal.store_id
    return NOTHING, None


def visible_to(stmt: Select, kind: str, value) -> Select:
    """``stmt`` limited by ``visibility``'s answer ``(kind, value)``; ``value`` an id or a
    ``bindparam`` (a list statement built once per kind)."""
    if kind == ALL:
        return stmt
    if kind == NOTHING:
        return stmt.where(Campaign.id.is_(None))
    taking_part = getattr(CampaignStore, f"{kind}_id") == value
    member = select(CampaignStore.id).where(CampaignStore.campaign_id == Campaign.id, taking_part)
    shown = Campaign.status.not_in(fixed_values(Campaign.status, NOT_OPEN))
    return stmt.where(exists(member), shown)


def visible_campaigns(stmt: Select | None = None, principal: Principal | None = None) -> Select:
    """``stmt`` (default ``select(Campaign)``) limited to the campaigns the caller may see."""
    principal = principal if principal is not None else current_principal()
    return visible_to(stmt if stmt is not None else select(Campaign), *visibility(principal))


def campaign_or_404(campaign_id, principal: Principal | None = None) -> Campaign:
    """The campaign when the caller may see it, else ``NotFound``."""
    if not isinstance(campaign_id, int) or isinstance(campaign_id, bool):
        raise NotFound("Campaign not found")
    if not 1 <= campaign_id <= MAX_ID:  # past the column's range: missing, not an error
        raise NotFound("Campaign not found")
    stmt = visible_campaigns(select(Campaign).where(Campaign.id == campaign_id), principal)
    campaign = db.session.scalars(stmt).first()
    if campaign is None:
        raise NotFound("Campaign not found")
    return campaign
