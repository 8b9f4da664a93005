"""联系我 codes of a store and of a live campaign: the store's code hands contacts to its
guides in turn and binds to the store; a campaign's code carries the campaign in its
state and a contact added through it is the campaign's visit, attributed to the guide."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from franchise.models import Customer, Store
from livestream.models import CampaignVisit
from tests.community.factories_contacts import add_contact, contact, mp_login, unionid_of
from tests.livestream.factories import gen_campaign


def test_store_code_takes_turns_and_binds_to_the_store(app, org, client, as_owner_a, as_hq):
    response = client.post(f"/api/v1/stores/{org.sa}/contact-way", headers=as_owner_a)
    assert response.status_code == 200, response.get_json()
    way = response.get_json()
    assert way["state"] == f"siyu:s{org.sa}"
    other = client.post(f"/api/v1/stores/{org.sb}/contact-way", headers=as_owner_a)
    assert other.status_code == 404
    customer = mp_login(client, "he", city="北京")["customer"]
    first = add_contact(client, way["config_id"], "何女士", unionid_of("he"))
    second = add_contact(client, way["config_id"], "路人")
    assert {first["userid"], second["userid"]} == {"ann", "amy"}
    with app.app_context():
        bound = db.session.get(Customer, customer["id"])
        assert (bound.franchisee_id, bound.store_id) == (org.fa, org.sa)
        assert contact(first["external_userid"]).customer_id == customer["id"]


def test_store_without_guides_is_422(app, org, client, as_hq):
    from tests.franchise.factories import gen_store

    with app.app_context():
        from franchise.models import Franchisee

        empty = gen_store(db.session.get(Franchisee, org.fa), code="SH-E", name="空店")
        store_id = empty.id
    response = client.post(f"/api/v1/stores/{store_id}/contact-way", headers=as_hq)
    assert response.status_code == 422 and "store_id" in response.get_json()["errors"]


def test_campaign_code_counts_the_contact_as_the_campaigns_visit(app, org, client, as_guide_a):
    with app.app_context():
        campaign = gen_campaign(store_ids=[org.sa])
        elsewhere = gen_campaign(store_ids=[org.sb])
        campaign_id, elsewhere_id = campaign.id, elsewhere.id
    url = f"/api/v1/guides/{org.ga}/contact-way"
    response = client.post(url, json={"campaign_id": campaign_id}, headers=as_guide_a)
    assert response.status_code == 200, response.get_json()
    way = response.get_json()
    assert way["state"] == f"siyu:c{campaign_id}:g{org.ga}" and len(way["state"]) <= 30
    not_taking_part = client.post(url, json={"campaign_id": elsewhere_id}, headers=as_guide_a)
    assert not_taking_part.status_code == 404
    customer = mp_login(client, "qian")["customer"]
    add_contact(client, way["config_id"], "钱先生", unionid_of("qian"))
    with app.app_context():
        visit = db.session.scalars(
            select(CampaignVisit).where(
                CampaignVisit.campaign_id == campaign_id,
                CampaignVisit.customer_id == customer["id"],
            )
        ).one()
        assert visit.guide_id == org.ga and visit.store_id == org.sa and visit.share_code
        assert db.session.get(Store, visit.store_id).franchisee_id == org.fa
