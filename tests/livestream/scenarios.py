"""Scenario builders shared by the livestream test modules (review, training, live orders,
targets)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from app.clock import SHANGHAI
from app.extensions import db
from franchise.models import CouponTemplate, Product, Store
from livestream.models import (
    CampaignTarget,
    CampaignVisit,
    RewardRule,
)
from livestream.services import training
from tests.livestream.factories import (
    gen_campaign,
    gen_live_customer,
    gen_paid_order,
    gen_target,
)

METRICS = ("new_customers", "group_joins", "appointments", "gmv_fen")

# store targets (fen) and the orders' GMV per store, kept by the scenario below
STORE_TARGETS = {"a1": 4000_00, "a2": 2000_00, "b1": 4000_00, "c1": 2000_00}


def _target(campaign_id, level, ref_id, store, gmv_fen, **kw):
    gen_target(
        campaign_id,
        level,
        ref_id,
        store.region_id,
        franchisee_id=store.franchisee_id if level != "region" else None,
        store_id=store.id if level == "store" else None,
        gmv_fen=gmv_fen,
        **kw,
    )


def _visit(campaign_id, customer, guide_id, store, new=False):
    db.session.add(
        CampaignVisit(
            campaign_id=campaign_id,
            customer_id=customer.id,
            guide_id=guide_id,
            store_id=store.id,
            franchisee_id=store.franchisee_id,
            region_id=store.region_id,
            is_new_customer=new,
        )
    )


def live_yesterday_at(campaign, hour: int, minute: int = 0) -> None:
    """Move the campaign and its sessions to yesterday at ``hour:minute`` Shanghai time,
    so that what falls on which hour does not depend on when the test runs."""
    day = datetime.now(SHANGHAI).date() - timedelta(days=1)
    moment = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)
    campaign.live_at = (moment + timedelta(hours=hour, minutes=minute)).astimezone(UTC)
    for session in campaign.sessions:
        session.starts_at = campaign.live_at
    db.session.commit()


def build_review_scenario(org) -> SimpleNamespace:
    """A store-level campaign live yesterday over all four stores, with targets, orders
    (one fully refunded, one partly, one of another campaign, one of none), visits and
    four rules. Call inside an app context."""
    campaign = gen_campaign("store", org.stores, live_in_days=-1, status="ended")
    live_yesterday_at(campaign, 19)  # its orders fall 19:30 to 21:30, on the live day
    other = gen_campaign("hq", org.stores, live_in_days=-3, status="ended")
    stores = {key: db.session.get(Store, getattr(org, key)) for key in STORE_TARGETS}
    cid = campaign.id
    _target(cid, "region", org.east, stores["a1"], 10000_00)
    _target(cid, "region", org.north, stores["c1"], 2000_00)
    _target(cid, "franchisee", org.fa, stores["a1"], 6000_00)
    _target(cid, "franchisee", org.fb, stores["b1"], 4000_00)
    _target(cid, "franchisee", org.fc, stores["c1"], 2000_00)
    for key, gmv in STORE_TARGETS.items():
        _target(cid, "store", stores[key].id, stores[key], gmv, new_customers=2)
    db.session.commit()

    live_at = campaign.live_at
    orders = []

    def order(store_key, guide_id, fen, campaign_id=cid, minutes=30, customer=None, **kw):
        buyer = customer or gen_live_customer(stores[store_key], guide_id)
        made = gen_paid_order(buyer, fen, days_ago=1, campaign_id=campaign_id, **kw)
        made.paid_at = live_at + timedelta(minutes=minutes)
        db.session.commit()
        orders.append(made)
        return buyer

    buyer_a1 = order("a1", org.ga1, 3000_00)
    order("a1", org.ga1, 1000_00, customer=buyer_a1, minutes=90)
    order("a1", org.ga1b, 500_00)
    order("a2", org.ga2, 500_00)
    order("b1", org.gb1, 2500_00, refunded_fen=500_00)  # partly refunded: 2000_00
    order("b1", org.gb1, 800_00, refunded_fen=800_00)  # wholly refunded: no order, no GMV
    buyer_c1 = order("c1", org.gc1, 2400_00, minutes=150)
    order("a1", org.ga1, 9999_00, campaign_id=other.id)  # another campaign
    order("c1", org.gc1, 7777_00, campaign_id=None)  # no campaign

    idle_a1 = gen_live_customer(stores["a1"], org.ga1)
    _visit(cid, buyer_a1, org.ga1, stores["a1"], new=True)
    _visit(cid, idle_a1, org.ga1, stores["a1"])
    _visit(cid, buyer_c1, org.gc1, stores["c1"])
    for _ in range(3):
        _visit(cid, gen_live_customer(stores["c1"], org.gc1), org.gc1, stores["c1"])
    rules = [
        RewardRule(campaign_id=cid, kind="reward", level="store", threshold_pct=100,
                   amount_fen=500_00, note="bonus"),
        RewardRule(campaign_id=cid, kind="penalty", level="store", threshold_pct=50,
                   amount_fen=100_00),
        RewardRule(campaign_id=cid, kind="reward", level="guide", threshold_pct=100,
                   amount_fen=50_00),
        RewardRule(campaign_id=cid, kind="reward", level="franchisee", metric="group_joins",
                   threshold_pct=100, amount_fen=10_00),
    ]  # fmt: skip
    db.session.add_all(rules)
    db.session.commit()
    return SimpleNamespace(campaign_id=cid, other_id=other.id, rule_ids=[r.id for r in rules])


def make_campaign(org, stores=None, live_in_days=30, coupon=False):
    """A campaign over A1, A2 and B1 (default) with the three products and its template."""
    products = [db.session.get(Product, pid) for pid in org.products]
    campaign = gen_campaign(
        store_ids=stores or [org.a1, org.a2, org.b1], products=products, live_in_days=live_in_days
    )
    if coupon:
        ct = CouponTemplate(name="直播券", amount_off_fen=100_00, threshold_fen=1000_00)
        db.session.add(ct)
        db.session.flush()
        campaign.lineup[0].coupon_template_id = ct.id
        db.session.commit()
    training.default_template(campaign.id)
    return campaign


def training_campaign(app, org, **kw) -> tuple[int, list[tuple[int, str, str | None]]]:
    """``make_campaign`` in a short app context: its id and its checklist items as
    ``(id, kind, expected answer)``."""
    with app.app_context():
        campaign = make_campaign(org, **kw)
        items = training.items_of(campaign.id)
        return campaign.id, [(i.id, i.kind, i.expected_answer) for i in items]


def gen_campaign_id(app, org, mode="hq", stores=None, **kw) -> int:
    """The id of a campaign of ``mode`` over ``stores`` (all of ``org``'s by default) with
    ``org``'s products in its line-up (``gen_campaign``'s other defaults), made in a short
    app context."""
    with app.app_context():
        products = [db.session.get(Product, pid) for pid in org.products]
        return gen_campaign(mode, stores or org.stores, products, **kw).id


def _campaign(app, org, status="scheduled", live_in_days=5.0, **kw):
    """An HQ campaign over every store, live in five days (the attribution tests')."""
    return gen_campaign_id(app, org, live_in_days=live_in_days, status=status, **kw)


def _share(client, headers, campaign_id):
    res = client.get(f"/api/v1/me/campaigns/{campaign_id}/share", headers=headers)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def _mp_login(client, code, share_code=None):
    body = {"code": code, **({"share_code": share_code} if share_code else {})}
    res = client.post("/api/v1/mp/session", json=body)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def _order(client, token, items, share_code=None):
    body = {"items": items, **({"share_code": share_code} if share_code else {})}
    return client.post("/api/v1/mp/orders", json=body, headers={"Authorization": token})


def rows(campaign_id):
    """``{(level, ref_id): CampaignTarget}`` of a campaign."""
    stmt = select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
    return {(t.level, t.ref_id): t for t in db.session.scalars(stmt)}


def assert_consistent(campaign_id):
    """Σ children == parent for every metric; nothing negative; weights sum to 10000."""
    all_rows = rows(campaign_id)
    for (level, ref_id), parent in all_rows.items():
        child_level = {"region": "franchisee", "franchisee": "store"}.get(level)
        if child_level is None:
            continue
        key = "region_id" if level == "region" else "franchisee_id"
        children = [
            r for (lv, _), r in all_rows.items() if lv == child_level and getattr(r, key) == ref_id
        ]
        assert children, (level, ref_id)
        assert sum(c.weight_bps for c in children) == 10000
        for m in METRICS:
            assert sum(getattr(c, m) for c in children) == getattr(parent, m), (level, ref_id, m)
    for r in all_rows.values():
        assert all(getattr(r, m) >= 0 for m in METRICS)
