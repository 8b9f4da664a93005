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


def test_a_departed_guides_codes_are_deleted_in_wecom(app, org, client, as_hq, sandbox):
    from app import outbox
    from community.models.contacts import ContactWay
    from franchise.models import Guide
    from franchise.services.guides import guide_leaves

    way = client.post(f"/api/v1/guides/{org.ga}/contact-way", json={}, headers=as_hq).get_json()
    with app.app_context():
        guide_leaves(db.session.get(Guide, org.ga))  # runs the GUIDE_LEFT hook
        assert db.session.scalars(select(ContactWay.status)).all() == ["deleted"]
        outbox.drain()
    assert sandbox.data["contact_ways"][way["config_id"]].get("deleted") is True
    gone = client.post("/_sandbox/control/contacts/add", json={**way, "name": "迟来的客户"})
    assert gone.status_code == 404  # the code no longer adds anyone


def test_contact_detail_is_scoped(client, org, as_guide_a, as_owner_a, as_hq):
    mine = add_contact(client, _guide_code(client, org.ga), "安的客户")
    theirs = add_contact(client, _guide_code(client, org.gb), "鲍勃的客户")
    ok = client.get(f"/api/v1/contacts/{mine['external_userid']}", headers=as_guide_a)
    assert ok.status_code == 200 and ok.get_json()["name"] == "安的客户"
    for headers in (as_guide_a, as_owner_a):
        other = client.get(f"/api/v1/contacts/{theirs['external_userid']}", headers=headers)
        assert other.status_code == 404
    seen = client.get(f"/api/v1/contacts/{theirs['external_userid']}", headers=as_hq)
    assert seen.status_code == 200 and seen.get_json()["guide_id"] == org.gb
    assert client.get("/api/v1/contacts/wmNOBODY", headers=as_hq).status_code == 404


def _guide_code(client, guide_id: int) -> str:
    from tests.community.factories_contacts import guide_code

    return guide_code(client, guide_id)["config_id"]
