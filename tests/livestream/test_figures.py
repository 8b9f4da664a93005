"""Campaign actuals per level: GMV and orders where the order puts them."""

from __future__ import annotations

from app.extensions import db
from franchise.models import Customer, Store
from livestream.models import CampaignVisit
from livestream.services import figures
from tests.livestream.factories import gen_campaign, gen_live_customer, gen_paid_order, gen_target


def test_actuals_roll_up_by_level(app, live_org):
    with app.app_context():
        campaign = gen_campaign("hq", live_org.stores)
        a1 = db.session.get(Store, live_org.a1)
        c1 = db.session.get(Store, live_org.c1)
        buyer_a = gen_live_customer(a1, live_org.ga1)
        buyer_c = gen_live_customer(c1, live_org.gc1)
        gen_paid_order(buyer_a, 1000_00, campaign_id=campaign.id)
        gen_paid_order(buyer_a, 500_00, campaign_id=campaign.id)
        refunded = gen_paid_order(buyer_c, 800_00, campaign_id=campaign.id)
        refunded.refunded_fen = 800_00
        gen_paid_order(buyer_c, 300_00, campaign_id=None)  # not the campaign's
        db.session.add(
            CampaignVisit(
                campaign_id=campaign.id,
                customer_id=buyer_a.id,
                guide_id=live_org.ga1,
                store_id=live_org.a1,
                franchisee_id=live_org.fa,
                region_id=live_org.east,
                is_new_customer=True,
            )
        )
        db.session.commit()
        total = figures.totals(campaign.id)
        assert (total.gmv_fen, total.orders, total.buyers) == (1500_00, 2, 1)
        assert total.visitors == 1 and total.new_customers == 1
        assert total.conversion_pct == 100.0 and total.aov_fen == 750_00
        by_region = figures.actuals(campaign.id, "region")
        assert by_region[live_org.east].gmv_fen == 1500_00
        assert by_region[live_org.north].gmv_fen == 0 and by_region[live_org.north].orders == 0
        by_guide = figures.actuals(campaign.id, "guide")
        assert by_guide[live_org.ga1].orders == 2
        assert db.session.get(Customer, buyer_c.id) is not None


def test_progress_rows_against_targets(app, live_org):
    from livestream.services import progress

    with app.app_context():
        campaign = gen_campaign("store", [live_org.a1, live_org.c1])
        gen_target(
            campaign.id, "region", live_org.east, live_org.east, gmv_fen=2000_00, new_customers=10
        )
        db.session.commit()
        a1 = db.session.get(Store, live_org.a1)
        gen_paid_order(gen_live_customer(a1, live_org.ga1), 500_00, campaign_id=campaign.id)
        rows = {r["ref_id"]: r for r in progress.progress(campaign.id, "region")}
        assert rows[live_org.east]["pct"]["gmv_fen"] == 25.0
        assert rows[live_org.east]["pct"]["new_customers"] == 0.0
        assert rows[live_org.north]["pct"]["gmv_fen"] is None  # no target
        assert rows[live_org.east]["name"] == "华东"
        whole = progress.campaign_progress(campaign.id)
        assert whole["target"]["gmv_fen"] == 2000_00 and whole["actual"]["gmv_fen"] == 500_00
