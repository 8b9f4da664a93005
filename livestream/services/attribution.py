"""Attribution: guides' campaign share codes, customers' visits and live prices on orders.

* ``campaign_share_code`` gives a guide of a participating store their share code for a
  campaign (a ``ShareCode`` of kind ``guide`` carrying ``campaign_id``). A customer who
  logs in with it is assigned to that guide's store (franchise rule 1), and an order
  placed with it carries the campaign and the guide (``franchise.services.orders``).
* ``record_visit`` stores a customer's first arrival at a campaign, attributed to the
  share code's guide / store / franchisee / region when the code is the campaign's, else
  to the customer's own owner. The first visit wins; later ones change nothing.
* ``live_prices`` is the ``CAMPAIGN_PRICING`` hook of franchise orders: line-up products
  sell at their live price while the campaign is live (or inside its session window).
* ``reserve_within_caps`` is its ``CAMPAIGN_RESERVATIONS`` hook: at the end of the
  order's transaction it adds the order's units to the line-up's ``sold`` counters and
  refuses an order that would sell more than a cap at the live price;
  ``release_caps`` (``CAMPAIGN_RELEASES``) gives them back when the order is cancelled
  or closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from app.clock import as_utc, utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.i18n import tr
from app.schemas import MAX_ID
from franchise.models import (
    ACTIVE,
    RULE_SHARE_CODE,
    Customer,
    Franchisee,
    Guide,
    Order,
    OrderLine,
    Product,
    ShareCode,
    Store,
)
from franchise.services.assignment import extend_binding
from franchise.services.base import invalid
from franchise.services.customers import guide_share_code
from livestream.models import Campaign, CampaignStore, CampaignVisit, LineupItem
from livestream.models.campaigns import LIVE, MODE_STORE, NOT_OPEN

RELEASED_ORDERS = ("cancelled", "closed")  # orders that gave their stock back
WINDOW_GRACE = timedelta(hours=2)  # live prices hold this long after the last session ends
NEW_CUSTOMER_WINDOW = timedelta(hours=24)
MP_PATH = "pages/live/index?campaign={campaign_id}&code={code}"


def campaign_exists(campaign_id: int) -> bool:
    """The ``CAMPAIGN_EXISTS`` hook of franchise's coupon templates."""
    return db.session.get(Campaign, campaign_id) is not None


def campaign_names(ids: set[int] | None) -> dict[int, str]:
    """The ``CAMPAIGN_NAMES`` hook of community's pages: names of ``ids``, or with ``None``
    of every campaign not yet over (newest first)."""
    stmt = select(Campaign.id, Campaign.name)
    if ids is None:
        stmt = stmt.where(Campaign.status.in_(("draft", "scheduled", "live")))
    else:
        stmt = stmt.where(Campaign.id.in_(ids))
    return dict(db.session.execute(stmt.order_by(Campaign.id.desc())).all())


def open_campaign(campaign_id: int, customer: Customer | None = None) -> Campaign:
    """The campaign unless it is a draft, cancelled or missing (then 404).

    With ``customer``: a store-level campaign exists only for customers of a franchise
    that takes part in it (an HQ live is open to every customer).
    """
    known = isinstance(campaign_id, int) and 1 <= campaign_id <= MAX_ID
    campaign = db.session.get(Campaign, campaign_id) if known else None
    if campaign is None or campaign.status in NOT_OPEN:
        raise NotFound("Campaign not found")
    if customer is not None and campaign.mode == MODE_STORE:
        member = db.session.scalar(
            select(CampaignStore.id).where(
                CampaignStore.campaign_id == campaign.id,
                CampaignStore.franchisee_id == customer.franchisee_id,
            )
        )
        if member is None:
            raise NotFound("Campaign not found")
    return campaign


# --- share codes --------------------------------------------------------------------


def campaign_share_code(campaign_id: int, guide_id: int) -> ShareCode:
    """The guide's share code for the campaign, created on first use (commits).

    404 when the campaign is missing / draft / cancelled, the guide is missing or their
    store does not take part; 422 when the guide has left.
    """
    campaign = open_campaign(campaign_id)
    guide = db.session.get(Guide, guide_id) if isinstance(guide_id, int) else None
    if guide is None:
        raise NotFound("Guide not found")
    if guide.status != ACTIVE:
        raise invalid("guide_id", "The guide has left.")
    taking_part = db.session.scalar(
        select(CampaignStore.id).where(
            CampaignStore.campaign_id == campaign.id, CampaignStore.store_id == guide.store_id
        )
    )
    if taking_part is None:
        raise NotFound("Campaign not found")
    return guide_share_code(guide, campaign.id)


def share_links(campaign_id: int, code: str) -> dict:
    """``{code, path, url}``: the mini-program path and the web landing URL of a code."""
    return {
        "code": code,
        "path": MP_PATH.format(campaign_id=campaign_id, code=code),
        "url": url_for("livestream_share.join", campaign_id=campaign_id, code=code, _external=True),
    }


def campaign_code(campaign_id: int, code: str | None) -> ShareCode | None:
    """The share code row when ``code`` is one of this campaign's, else ``None``."""
    if not code:
        return None
    share = db.session.scalars(select(ShareCode).where(ShareCode.code == code)).first()
    return share if share is not None and share.campaign_id == campaign_id else None


# --- visits -------------------------------------------------------------------------


def _region_of(store_id: int | None, franchisee_id: int | None) -> int | None:
    if store_id is not None:
        store = db.session.get(Store, store_id)
        if store is not None:
            return store.region_id
    franchisee = db.session.get(Franchisee, franchisee_id) if franchisee_id else None
    return franchisee.region_id if franchisee else None


def visit_of(campaign_id: int, customer_id: int) -> CampaignVisit | None:
    """The customer's visit to the campaign, if any."""
    return db.session.scalars(
        select(CampaignVisit).where(
            CampaignVisit.campaign_id == campaign_id, CampaignVisit.customer_id == customer_id
        )
    ).first()


def ensure_visit(
    campaign_id: int, customer_id: int, share_code: str | None = None
) -> tuple[CampaignVisit, bool]:
    """``(visit, created)``: record the first visit (commits) or return the existing one.
    A new visit is answered as written (detached before the commit, so the commit does
    not expire it and the answer reads nothing back)."""
    customer = db.session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None:
        raise NotFound("Customer not found")
    campaign = open_campaign(campaign_id, customer)
    existing = visit_of(campaign.id, customer.id)
    if existing is not None:
        return existing, False
    now = utcnow()
    code = campaign_code(campaign.id, share_code)
    guide_id: int | None
    store_id: int | None
    if code is not None:
        guide = db.session.get(Guide, code.guide_id) if code.guide_id else None
        guide_id = guide.id if guide and guide.store_id == code.store_id else None
        store_id, franchisee_id = code.store_id, code.franchisee_id
    else:
        guide_id, store_id = customer.guide_id, customer.store_id
        franchisee_id = customer.franchisee_id
    created_at = as_utc(customer.created_at) or now
    is_new = (
        code is not None
        and customer.assignment_rule == RULE_SHARE_CODE
        and customer.store_id == code.store_id
        and now - created_at <= NEW_CUSTOMER_WINDOW
    )
    visit = CampaignVisit(
        campaign_id=campaign.id,
        customer_id=customer.id,
        share_code=code.code if code else None,
        guide_id=guide_id,
        store_id=store_id,
        franchisee_id=franchisee_id,
        region_id=_region_of(store_id, franchisee_id),
        is_new_customer=is_new,
        visited_at=now,
    )
    db.session.add(visit)
    extend_binding(customer.id, now)  # a visit keeps the guide's binding
    try:
        db.session.flush()
        db.session.expunge(visit)  # the answer is the row as written: no read-back
        db.session.commit()
    except IntegrityError:  # a concurrent first visit won
        db.session.rollback()
        existing = visit_of(campaign_id, customer_id)
        if existing is None:
            raise
        return existing, False
    return visit, True


def record_visit(campaign_id: int, customer_id: int, share_code: str | None = None):
    """The customer's visit to the campaign, recorded on first arrival (commits)."""
    return ensure_visit(campaign_id, customer_id, share_code)[0]


# --- live prices ----------------------------------------------------------------------


def session_window(campaign: Campaign) -> tuple[datetime, datetime] | None:
    """``(start, end)``: earliest session start to latest session end plus the grace."""
    sessions = campaign.sessions
    if not sessions:
        return None
    start = min(as_utc(s.starts_at) for s in sessions)
    end = max(as_utc(s.starts_at) + timedelta(minutes=s.duration_minutes) for s in sessions)
    return start, end + WINDOW_GRACE


def prices_open(campaign: Campaign, now: datetime | None = None) -> bool:
    """Live prices apply: the campaign is live, or its session window is open."""
    if campaign.status == LIVE:
        return True
    if campaign.status in NOT_OPEN:
        return False
    window = session_window(campaign)
    now = now or utcnow()
    return window is not None and window[0] <= now <= window[1]


def sold_quantities(campaign_id: int, product_ids=None) -> dict[int, int]:
    """Units per product on the campaign's orders that still hold their stock."""
    stmt = (
        select(OrderLine.product_id, func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.campaign_id == campaign_id, Order.status.not_in(RELEASED_ORDERS))
        .group_by(OrderLine.product_id)
    )
    if product_ids is not None:
        stmt = stmt.where(OrderLine.product_id.in_(list(product_ids)))
    return {int(pid): int(qty) for pid, qty in db.session.execute(stmt)}


def live_prices(campaign_id: int, merged: dict[int, int]) -> dict[int, int]:
    """The franchise order hook: ``{product_id: live unit price}`` (no commit, no lock).

    422 on ``campaign_id`` for an unknown, draft or cancelled campaign. Outside the live
    window the campaign is still carried but every product sells at list price. The
    stock cap is checked at the end of the transaction (``reserve_within_caps``).
    """
    campaign = _open_campaign(campaign_id)
    wanted = [pid for pid in merged if isinstance(pid, int)]
    if not prices_open(campaign) or not wanted:
        return {}
    items = db.session.scalars(
        select(LineupItem).where(
            LineupItem.campaign_id == campaign.id, LineupItem.product_id.in_(wanted)
        )
    ).all()
    return {item.product_id: item.live_price_fen for item in items}


def reserve_within_caps(campaign_id: int, merged: dict[int, int]) -> None:
    """The franchise order hook run last: adds the order's units to its line-up items'
    ``sold`` and, while live prices hold, answers 422 on ``items`` naming the product
    when that passes a stock cap (the caller rolls the whole order back).

    One conditional ``UPDATE … RETURNING`` per product, in product id order: the row lock
    it takes lasts until the order commits, so a concurrent order for the same product
    waits for it and then sees its units. Nothing is summed under the lock. Orders outside
    the live window are counted too, so ``sold`` always equals ``sold_quantities``.
    """
    campaign = _open_campaign(campaign_id)
    enforce = prices_open(campaign)
    for product_id in sorted(pid for pid in merged if isinstance(pid, int)):
        quantity = merged[product_id]
        row = db.session.execute(
            update(LineupItem)
            .where(LineupItem.campaign_id == campaign.id, LineupItem.product_id == product_id)
            .values(sold=LineupItem.sold + quantity)
            .returning(LineupItem.sold, LineupItem.stock_cap)
            .execution_options(synchronize_session=False)
        ).first()
        if row is None or not enforce or not row.stock_cap or row.sold <= row.stock_cap:
            continue
        left = max(0, row.stock_cap - (row.sold - quantity))
        product = db.session.get(Product, product_id)
        name = product.name if product else str(product_id)
        raise invalid(
            "items", tr("Only %(left)s left of %(name)s at the live price.", left=left, name=name)
        )


def release_caps(campaign_id: int, given_back: dict[int, int]) -> None:
    """The franchise release hook: a cancelled or closed campaign order gives its units
    back to the line-up's ``sold`` (whatever the campaign's state), in product id order,
    never below zero."""
    for product_id in sorted(given_back):
        quantity = given_back[product_id]
        db.session.execute(
            update(LineupItem)
            .where(LineupItem.campaign_id == campaign_id, LineupItem.product_id == product_id)
            .values(sold=case((LineupItem.sold >= quantity, LineupItem.sold - quantity), else_=0))
            .execution_options(synchronize_session=False)
        )


def _open_campaign(campaign_id) -> Campaign:
    known = isinstance(campaign_id, int) and 1 <= campaign_id <= MAX_ID
    campaign = db.session.get(Campaign, campaign_id) if known else None
    if campaign is None or campaign.status in NOT_OPEN:
        raise invalid("campaign_id", "No such campaign open for orders.")
    return campaign


# --- WeCom 联系我 codes of a campaign (community hooks) ---------------------------------


def campaign_code_of_guide(campaign_id: int, guide_id: int) -> str:
    """The guide's campaign share code, for the campaign's 联系我 code (commits)."""
    return campaign_share_code(campaign_id, guide_id).code


def record_contact_visit(campaign_id: int, customer_id: int, share_code: str | None) -> None:
    """A customer added a guide through the campaign's 联系我 code: their visit, attributed
    through the code (a campaign no longer open records nothing)."""
    try:
        ensure_visit(campaign_id, customer_id, share_code)
    except DomainError:  # the campaign is not open (or gone): nothing to attribute
        db.session.rollback()
