"""People, not ids: group members are shown by the customer's name, value tier and tags
(500-member groups page through), and the contacts API's ``tags`` and ``?tag=`` come
from the customer tags."""

from __future__ import annotations

from sqlalchemy import select

from app import outbox
from app.extensions import db
from community.models.groups import WecomGroup
from community.models.wecom_customers import CustomerTag
from community.services import tag_links, tags
from community.services.sync import full_sync
from franchise.models import Customer
from tests.community.factories_contacts import add_contact, guide_code
from tests.community.factories_groups import sandbox_group
from tests.fixtures.auth import login
from tests.franchise.factories_commerce import gen_customer


def _big_group(app, org) -> tuple[int, int]:
    members = [{"userid": f"wmP{j:03d}", "unionid": f"uP{j:03d}"} for j in range(120)]
    members[0].update(name="wmP000")  # WeCom gives no better name than the id
    sandbox_group(app, "ann", members, name="古法金粉丝群")
    with app.app_context():
        customer = gen_customer(org.fa, org.sa, org.ga, unionid="uP000", nickname="周女士")
        customer.tier_label = "高价值"
        db.session.commit()
        group = tags.create_group("古法金偏好", ["古法金"])
        tag_id = group.tags[0].id
        assert full_sync().status == "done"
        tag_links.set_tags(customer=db.session.get(Customer, customer.id), add=[tag_id])
        group_id = db.session.scalars(select(WecomGroup.id)).one()
        return group_id, tag_id


def test_admin_group_members_are_people_and_paged(app, org, client):
    group_id, _ = _big_group(app, org)
    login(client, "hq")
    html = client.get(f"/admin/groups/{group_id}").get_data(as_text=True)
    assert "周女士" in html and "高价值" in html and "古法金" in html
    assert "wmP0" not in html  # no WeCom ids: unnamed people are said to be unnamed
    last = client.get(f"/admin/groups/{group_id}?page=3").get_data(as_text=True)
    assert "周女士" not in last and "page=2" in last


def test_guide_group_members_are_people_and_paged(app, org, client):
    group_id, _ = _big_group(app, org)
    login(client, "guide-a", path="/m/login")
    html = client.get(f"/m/groups/{group_id}").get_data(as_text=True)
    assert "周女士" in html and "古法金" in html and "wmP0" not in html
    assert "page=2" in html


def test_contacts_api_tags_come_from_customer_tags(app, org, client, as_hq):
    with app.app_context():
        gen_customer(org.fa, org.sa, org.ga, unionid="uC1", nickname="吴先生")
        tag_id = tags.create_group("高净值", ["高净值"]).tags[0].id
        outbox.drain()
    way = guide_code(client, org.ga)
    external = add_contact(client, way["config_id"], name="吴先生", unionid="uC1")[
        "external_userid"
    ]
    with app.app_context():
        customer = db.session.scalars(select(Customer).where(Customer.unionid == "uC1")).one()
        tag_links.set_tags(customer=customer, add=[tag_id])
        assert outbox.drain() == 1  # mark_tag for Ann's contact
        assert db.session.get(CustomerTag, tag_id).wecom_id
    items = client.get("/api/v1/contacts", headers=as_hq).get_json()["items"]
    assert [(i["external_userid"], i["tags"]) for i in items] == [(external, ["高净值"])]
    by_tag = client.get("/api/v1/contacts?tag=高净值", headers=as_hq).get_json()
    assert by_tag["total"] == 1
    assert client.get(f"/api/v1/contacts?tag={tag_id + 1}", headers=as_hq).get_json()["total"] == 0
