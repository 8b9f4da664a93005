"""Livestream in franchise's credit: the campaign visit's guide claims the line-up's
lines of an order (through ``CREDIT_LIVE_CLAIM``), and an ended campaign's store rewards
and penalties post as guides' commission lines, once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from franchise.models import CommissionEntry, Order, OrderLine, Product, Store
from franchise.services import credit
from livestream.models import CampaignVisit
from livestream.services.live_credit import post_ended_campaigns, post_live_rewards
from tests.livestream.factories import gen_campaign, gen_live_customer


def test_live_guide_takes_the_live_share_of_line_up_lines_only(app, live_org):
    with app.app_context():
        on_air, off_air = (db.session.get(Product, p) for p in live_org.products[:2])
        campaign = gen_campaign("hq", live_org.stores, products=[on_air], live_in_days=-1)
        store = db.session.get(Store, live_org.a1)
        customer = gen_live_customer(store, live_org.ga1)  # bound to ga1 (no history row)
        visit = CampaignVisit(
            campaign_id=campaign.id, customer_id=customer.id, guide_id=live_org.ga1b,
            store_id=store.id, franchisee_id=store.franchisee_id,
            visited_at=utcnow() - timedelta(hours=2),
        )  # fmt: skip
        db.session.add(visit)
        lines = [
            OrderLine(product_id=p.id, sku=p.sku, name=p.name, unit_price_fen=p.price_fen,
                      quantity=1, line_total_fen=p.price_fen)
            for p in (on_air, off_air)
        ]  # fmt: skip
        total = sum(line.line_total_fen for line in lines)
        order = Order(
            order_no="LIVECREDIT0001", customer_id=customer.id, franchisee_id=live_org.fa,
            store_id=store.id, campaign_id=campaign.id, total_fen=total, payable_fen=total,
            paid_fen=total, status="paid", transaction_id="4200000000000000777",
            paid_at=utcnow(), lines=lines,
        )  # fmt: skip
        db.session.add(order)
        db.session.commit()
        assert credit.compute_credit(order.id)
        rows = credit.current_lines(order.id)
        on_line, off_line = (line.id for line in order.lines)
        live = [r for r in rows if r.order_line_id == on_line]
        shares = {(r.guide_id, r.share_bps) for r in live}
        # default rules: live 2000; absent share code and in-store shares go to the live guide
        assert shares == {(live_org.ga1b, 9000), (live_org.ga1, 1000)}
        visit_evidence = next(r for r in live if r.guide_id == live_org.ga1b).evidence[0]
        assert visit_evidence["kind"] == "visit" and visit_evidence["ref"] == visit.id
        assert visit_evidence["campaign_name"] == campaign.name
        off = [(r.guide_id, r.share_bps) for r in rows if r.order_line_id == off_line]
        assert off == [(live_org.ga1, 10000)]  # not on the line-up: the assigned guide


def test_ended_campaign_rewards_and_penalties_post_once(app, live_org, reviewed):
    with app.app_context():
        posted = post_live_rewards(reviewed.campaign_id)
        # reward 500.00 at A1 and at C1, penalty 100.00 at A2, each split over two guides
        assert posted == 6
        rows = db.session.execute(
            select(CommissionEntry.guide_id, CommissionEntry.kind, CommissionEntry.amount_fen)
        ).all()
        by_guide = {(g, k): a for g, k, a in rows}
        assert by_guide[(live_org.ga1, "live_reward")] == 250_00
        assert by_guide[(live_org.ga1b, "live_reward")] == 250_00
        assert by_guide[(live_org.ga2, "live_penalty")] == -50_00
        assert sum(a for _g, k, a in rows if k == "live_reward") == 1000_00
        assert sum(a for _g, k, a in rows if k == "live_penalty") == -100_00
        post_ended_campaigns()  # again, with the other ended campaign: nothing new
        assert db.session.scalar(select(func.count()).select_from(CommissionEntry)) == 6
