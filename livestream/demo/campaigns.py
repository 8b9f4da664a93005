"""Demo data: three campaigns at different stages, so a new user sees the whole cycle.

* ``古法金新品发布 · 总部直播`` (HQ mode): targets cascaded, every guide trained, link
  check passed, gone live through the gate; it started 90 minutes ago and customers who
  came through guides' share codes have paid orders at live prices through the sandbox —
  the live dashboard and the review have real figures.
* ``七夕 · 门店店播`` (store mode, East region): live in 8 days, so it is in training;
  half the guides have finished, no link check yet, so the gate is blocked; WeCom lives
  created for each store session through the outbox.
* ``双十二年终大促`` (HQ mode): live in 45 days, a draft whose targets HQ is setting.

Everything goes through the services (and the sandbox), as a user would; the only
shortcut is moving the first campaign's live time into the past after it went live.
Idempotent: does nothing when a campaign exists.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

log = logging.getLogger("siyu.livestream")

HQ_LIVE, STORE_LIVE, PLANNED = "古法金新品发布 · 总部直播", "七夕 · 门店店播", "双十二年终大促"
DEMO_LIVE_ORDERS = 16


def seed_campaigns(app: Flask) -> list[str]:
    """Seed the demo campaigns (see the module docstring)."""
    from app.auth.models import HQ_ADMIN, User
    from app.extensions import db
    from app.wechat.sandbox import sandbox_reachable
    from franchise.models import Product, Region, Store
    from livestream.models import Campaign

    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(Campaign)):
            return ["livestream: campaigns already seeded"]
        admin = db.session.scalars(select(User).where(User.role == HQ_ADMIN)).first()
        products = db.session.scalars(
            select(Product)
            .where(Product.is_active.is_(True), Product.stock >= 20, Product.price_fen > 100)
            .order_by(Product.id)
            .limit(4)
        ).all()
        regions = db.session.scalars(select(Region).order_by(Region.id)).all()
        if admin is None or len(products) < 3 or not regions or not sandbox_reachable(app):
            return ["livestream: no admin, products, regions or sandbox for the demo"]
        east = [
            s.id for s in db.session.scalars(select(Store).where(Store.region_id == regions[0].id))
        ]
        lines = [_hq_live(app, admin.id, products, regions)]
        lines.append(_store_live(admin.id, products, regions[0], east))
        lines.append(_planned(admin.id, products, regions))
        return lines


def _lineup(products, share: int = 85, cap: int = 50) -> list[dict]:
    return [
        {"product_id": p.id, "live_price_fen": p.price_fen * share // 100, "stock_cap": cap}
        for p in products
    ]


def _targets(campaign_id: int, regions, scale: int) -> None:
    from livestream.services import targets

    targets.set_region_targets(
        campaign_id,
        {
            r.id: {
                "gmv_fen": scale * 10_000_00 * (3 - i % 3),
                "new_customers": scale * 4,
                "group_joins": scale * 8,
                "appointments": scale * 2,
            }
            for i, r in enumerate(regions)
        },
    )
    targets.save_rule(
        campaign_id,
        {
            "kind": "reward",
            "level": "store",
            "metric": "gmv_fen",
            "threshold_pct": 100,
            "amount_fen": 2000_00,
            "note": "达成 GMV 目标：门店奖励",
        },
    )
    targets.save_rule(
        campaign_id,
        {
            "kind": "penalty",
            "level": "store",
            "metric": "gmv_fen",
            "threshold_pct": 30,
            "amount_fen": 500_00,
            "note": "未达 30%：扣减下期券预算",
        },
    )


def _train(campaign_id: int, share_done: float) -> int:
    """Create the checklist and progress; ``share_done`` of the guides finish it."""
    from app.extensions import db
    from livestream.models import TrainingProgress
    from livestream.services import training

    items = training.default_template(campaign_id)
    training.ensure_progress(campaign_id)
    guides = db.session.scalars(
        select(TrainingProgress.guide_id)
        .where(TrainingProgress.campaign_id == campaign_id)
        .order_by(TrainingProgress.guide_id)
    ).all()
    done = guides[: round(len(guides) * share_done)]
    for guide_id in done:
        for item in items:
            training.answer(campaign_id, guide_id, item.id, item.expected_answer or "ok")
    return len(done)


def _hq_live(app: Flask, user_id: int, products, regions) -> str:
    from app import outbox
    from app.clock import as_utc, utcnow
    from app.extensions import db
    from livestream.services import campaigns, linkcheck, readiness, timeline

    campaign = campaigns.save_campaign(
        {
            "name": HQ_LIVE,
            "mode": "hq",
            "live_at": utcnow() + timedelta(days=1),
            "duration_minutes": 180,
            "description": "总部直播间首发古法金新品，全国门店导购分享专属链接引流。",
            "region_ids": [r.id for r in regions],
            "lineup": _lineup(products[:3]),
        },
        user_id=user_id,
    )
    campaigns.set_status(campaign.id, "scheduled", user_id)
    _targets(campaign.id, regions, 3)
    trained = _train(campaign.id, 1.0)
    linkcheck.request_link_check(campaign.id, user_id=user_id)
    outbox.drain()
    readiness.go_live(campaign.id, user_id)
    reloaded = db.session.get(type(campaign), campaign.id)
    assert reloaded is not None  # made above
    campaign = reloaded
    old = as_utc(campaign.live_at)
    campaign.live_at = utcnow().replace(microsecond=0) - timedelta(minutes=90)
    for session in campaign.sessions:
        session.starts_at = campaign.live_at
    timeline.shift(campaign, old)
    for step in campaign.steps:
        if step.kind in ("targets", "training", "warmup", "gate") and step.done_at is None:
            step.done_at, step.done_by = utcnow(), user_id
    db.session.commit()
    paid = _live_orders(app, campaign.id, products[:3])
    return f"livestream: HQ live '{HQ_LIVE}' on air, {trained} guides trained, {paid} paid orders"


def _live_orders(app: Flask, campaign_id: int, products) -> int:
    """Customers arrive through guides' campaign codes, visit, order and pay (sandbox)."""
    import random

    from app.errors import DomainError
    from app.extensions import db
    from app.wechat.sandbox import customer_pays
    from franchise.models import Guide
    from franchise.services import customers, orders, payments
    from livestream.models import CampaignStore
    from livestream.services import attribution

    rng = random.Random(20261126)
    store_ids = db.session.scalars(
        select(CampaignStore.store_id).where(CampaignStore.campaign_id == campaign_id)
    ).all()
    guides = db.session.scalars(
        select(Guide).where(Guide.store_id.in_(store_ids), Guide.status == "active")
    ).all()
    paid = 0
    for i in range(DEMO_LIVE_ORDERS):
        guide = guides[(i * 7) % len(guides)]
        try:
            code = attribution.campaign_share_code(campaign_id, guide.id).code
            customer, _ = customers.login(f"code-demo-live-{campaign_id}-{i}", share_code=code)
            attribution.record_visit(campaign_id, customer.id, code)
            if i % 4 == 3:
                continue  # came, watched, did not buy
            items = [{"product_id": rng.choice(products).id, "quantity": 1}]
            order = orders.create_order(customer.id, items, share_code=code)
            answer = payments.start_payment(order)
            customer_pays(app, answer["out_trade_no"])
            paid += 1
        except (DomainError, KeyError, ValueError) as exc:
            db.session.rollback()
            log.warning("demo live order skipped: %s", exc)
    return paid


def _store_live(user_id: int, products, region, store_ids: list[int]) -> str:
    from app import outbox
    from app.clock import utcnow
    from livestream.services import campaigns, living, timeline

    campaign = campaigns.save_campaign(
        {
            "name": STORE_LIVE,
            "mode": "store",
            "live_at": utcnow().replace(hour=12, minute=0, second=0) + timedelta(days=8),
            "duration_minutes": 120,
            "description": "七夕限定系列：华东各门店导购在企业微信直播，门店自带客流。",
            "store_ids": store_ids,
            "lineup": _lineup(products[1:4], share=90, cap=20),
            "gate_threshold_pct": 90,
        },
        user_id=user_id,
    )
    campaigns.set_status(campaign.id, "scheduled", user_id)
    _targets(campaign.id, [region], 1)
    step = timeline.step_of(campaign, "targets")
    if step is not None:
        timeline.mark_done(step.id, user_id, campaign.id)
    trained = _train(campaign.id, 0.5)
    living.enqueue_livings()
    outbox.drain()
    return (
        f"livestream: store lives '{STORE_LIVE}' in training ({trained} guides done), gate blocked"
    )


def _planned(user_id: int, products, regions) -> str:
    from app.clock import utcnow
    from livestream.services import campaigns

    campaign = campaigns.save_campaign(
        {
            "name": PLANNED,
            "mode": "hq",
            "live_at": utcnow().replace(hour=12, minute=0, second=0) + timedelta(days=45),
            "duration_minutes": 240,
            "description": "年终大促：总部直播 + 全国门店引流，目标分解中。",
            "region_ids": [r.id for r in regions],
            "lineup": _lineup(products[:2], share=80, cap=100),
        },
        user_id=user_id,
    )
    _targets(campaign.id, regions, 6)
    return f"livestream: '{PLANNED}' planned (draft, targets set)"
