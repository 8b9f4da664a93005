"""The live dashboard's figures: GMV, orders and viewers against targets, as they happen.

``board(campaign_id, franchisee_id=None)`` (read-only) gives:

* ``totals``: ``{target, actual, pct}`` (``progress.campaign_progress``) with ``viewers``
  added to ``actual``; for a franchise owner (``franchisee_id`` given) the figures and
  targets of their franchisee only;
* ``level`` and ``rows``: per region for HQ (``progress.progress(..., "region")``), per
  store of their own franchise for an owner;
* ``sessions``: each live with its viewers. Store lives read WeCom's watch stats; the
  HQ live has no WeCom living, so its viewers are the campaign's visitors;
* ``orders``: the last 10 paid orders (time, store, guide, amount);
* ``lineup``: each product's live price, units sold against the cap, and what is left;
* ``updated_at``: when these figures were read.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from franchise.models import Guide, Order, Store
from livestream.models import Campaign, CampaignVisit, LineupItem, LiveSession
from livestream.models.campaigns import MODE_HQ
from livestream.models.targets import LEVEL_FRANCHISEE, LEVEL_REGION, LEVEL_STORE, METRICS
from livestream.services import figures, progress
from livestream.services.attribution import prices_open

LAST_ORDERS = 10


def _visitors(campaign_id: int, franchisee_id: int | None) -> int:
    stmt = select(func.count(CampaignVisit.id)).where(CampaignVisit.campaign_id == campaign_id)
    if franchisee_id is not None:
        stmt = stmt.where(CampaignVisit.franchisee_id == franchisee_id)
    return int(db.session.scalar(stmt) or 0)


def _sessions(campaign: Campaign, franchisee_id: int | None) -> list[dict]:
    stmt = select(LiveSession).where(LiveSession.campaign_id == campaign.id)
    if franchisee_id is not None and campaign.mode != MODE_HQ:
        stmt = stmt.where(LiveSession.franchisee_id == franchisee_id)
    out = []
    for s in db.session.scalars(stmt.order_by(LiveSession.starts_at, LiveSession.id)):
        hq_live = campaign.mode == MODE_HQ and s.store_id is None
        out.append(
            {
                "id": s.id,
                "title": s.title,
                "store_id": s.store_id,
                "store_name": s.store.name if s.store else "",
                "starts_at": s.starts_at,
                "ends_at": s.starts_at + timedelta(minutes=s.duration_minutes),
                "status": s.status,
                "living_id": s.living_id,
                "viewers_source": "visits" if hq_live else "wecom",
                "viewer_count": _visitors(campaign.id, franchisee_id)
                if hq_live
                else s.viewer_count,
                "external_viewer_count": 0 if hq_live else s.external_viewer_count,
                "stat_read_at": s.stat_read_at,
            }
        )
    return out


def _viewers(campaign: Campaign, sessions: list[dict], franchisee_id: int | None) -> int:
    if campaign.mode == MODE_HQ:
        return _visitors(campaign.id, franchisee_id)
    return sum(s["viewer_count"] for s in sessions)


def _last_orders(campaign_id: int, franchisee_id: int | None) -> list[dict]:
    stmt = (
        select(Order, Store.name, Guide.name)
        .outerjoin(Store, Store.id == Order.store_id)
        .outerjoin(Guide, Guide.id == Order.guide_id)
        .where(Order.campaign_id == campaign_id, Order.paid_at.is_not(None))
        .order_by(Order.paid_at.desc(), Order.id.desc())
        .limit(LAST_ORDERS)
    )
    if franchisee_id is not None:
        stmt = stmt.where(Order.franchisee_id == franchisee_id)
    return [
        {
            "order_no": order.order_no,
            "paid_at": order.paid_at,
            "store_name": store_name or "",
            "guide_name": guide_name or "",
            "amount_fen": order.paid_fen - order.refunded_fen,
        }
        for order, store_name, guide_name in db.session.execute(stmt)
    ]


def lineup(campaign: Campaign) -> list[dict]:
    """Line-up rows: list and live price, cap, units sold, units left (cap and stock)."""
    rows = []
    for item in db.session.scalars(
        select(LineupItem)
        .where(LineupItem.campaign_id == campaign.id)
        .order_by(LineupItem.sort, LineupItem.id)
    ):
        product = item.product
        count = item.sold
        stock = max(0, product.stock) if product.is_active else 0
        left = min(stock, max(0, item.stock_cap - count)) if item.stock_cap else stock
        rows.append(
            {
                "product_id": product.id,
                "name": product.name,
                "sku": product.sku,
                "list_price_fen": product.price_fen,
                "live_price_fen": item.live_price_fen,
                "stock_cap": item.stock_cap,
                "sold": count,
                "left": left,
                "cap_pct": progress.pct(count, item.stock_cap),
            }
        )
    return rows


def _owner_totals(campaign_id: int, franchisee_id: int) -> dict:
    rows = [
        r for r in progress.progress(campaign_id, LEVEL_FRANCHISEE) if r["ref_id"] == franchisee_id
    ]
    if rows:
        return {k: dict(rows[0][k]) for k in ("target", "actual", "pct")}
    got = figures.Figures().as_dict()
    goal = dict.fromkeys(METRICS, 0)
    return {"target": goal, "actual": got, "pct": dict.fromkeys(METRICS)}


def board(campaign_id: int, franchisee_id: int | None = None) -> dict:
    """The dashboard's figures (see the module docstring); owners pass their franchisee."""
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None  # the views found it (scoped_or_404) before asking
    if franchisee_id is None:
        totals = progress.campaign_progress(campaign_id)
        level = LEVEL_REGION
        rows = progress.progress(campaign_id, LEVEL_REGION)
    else:
        totals = _owner_totals(campaign_id, franchisee_id)
        level = LEVEL_STORE
        own = set(db.session.scalars(select(Store.id).where(Store.franchisee_id == franchisee_id)))
        rows = [r for r in progress.progress(campaign_id, LEVEL_STORE) if r["ref_id"] in own]
    sessions = _sessions(campaign, franchisee_id)
    totals["actual"]["viewers"] = _viewers(campaign, sessions, franchisee_id)
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "mode": campaign.mode,
        "status": campaign.status,
        "live_at": campaign.live_at,
        "live_prices": prices_open(campaign),
        "totals": totals,
        "level": level,
        "rows": rows,
        "sessions": sessions,
        "orders": _last_orders(campaign_id, franchisee_id),
        "lineup": lineup(campaign),
        "updated_at": utcnow(),
    }
