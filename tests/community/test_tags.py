"""Customer tags kept in sync with WeCom's corp tags both ways: HQ's groups reach WeCom
(add_corp_tag) after the commit, an admin's edit in WeCom comes back through the
change_external_tag callback, a guide's tag reaches the customer in WeCom (mark_tag) or
shows WeCom's refusal, rules tag automatically, and tenancy holds (404 outside scope)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import outbox
from app.extensions import db
from community.models.wecom_customers import CustomerTag, CustomerTagLink, TagGroup
from community.services import tag_links, tag_rules
from community.services.sync import full_sync
from franchise.models import Customer
from tests.community.factories_groups import sandbox_group
from tests.fixtures.auth import api_token, bearer, login
from tests.franchise.factories_commerce import gen_customer


def _library(client, as_hq) -> dict:
    res = client.post(
        "/api/v1/tags", json={"name": "婚庆", "tags": ["备婚中", "已婚"]}, headers=as_hq
    )
    assert res.status_code == 201, res.get_json()
    with client.application.app_context():
        assert outbox.drain() == 1
        return {t.name: t.id for t in db.session.scalars(select(CustomerTag))}


def _setup_customer(app, org) -> tuple[int, str]:
    sandbox_group(app, "ann", [{"userid": "wmTAG1", "unionid": "uTAG1", "name": "王女士"}])
    with app.app_context():
        customer = gen_customer(org.fa, org.sa, org.ga, unionid="uTAG1", nickname="王女士")
        assert full_sync().status == "done"
        return customer.id, "wmTAG1"


def test_hq_library_reaches_wecom_with_its_ids(app, org, client, as_hq, sandbox):
    ids = _library(client, as_hq)
    (group,) = sandbox.data["corp_tags"].values()
    assert group["group_name"] == "婚庆"
    assert sorted(t["name"] for t in group["tag"]) == ["备婚中", "已婚"]
    with app.app_context():
        tag = db.session.get(CustomerTag, ids["已婚"])
        assert tag.wecom_id in {t["id"] for t in group["tag"]}
    listed = client.get("/api/v1/tags", headers=as_hq).get_json()
    assert listed[0]["name"] == "婚庆" and len(listed[0]["tags"]) == 2
    bad = client.post("/api/v1/tags", json={"name": "x" * 31, "tags": ["a"]}, headers=as_hq)
    assert bad.status_code == 422 and "name" in bad.get_json()["errors"]


def test_wecom_edits_come_back_through_the_callback(app, org, client, as_hq, sandbox):
    ids = _library(client, as_hq)
    with app.app_context():
        group_wecom_id = db.session.scalars(select(TagGroup)).one().wecom_id
        married = db.session.get(CustomerTag, ids["已婚"]).wecom_id
    created = client.post(
        "/_sandbox/control/tags",
        json={"action": "create", "group_id": group_wecom_id, "tag": [{"name": "周年纪念"}]},
    ).get_json()
    assert created["callback"]["status"] == "delivered"
    client.post(
        "/_sandbox/control/tags", json={"action": "update", "id": married, "name": "已婚5年"}
    )
    client.post("/_sandbox/control/tags", json={"action": "delete", "tag_id": [married]})
    with app.app_context():
        names = {t.name: t.deleted for t in db.session.scalars(select(CustomerTag))}
    assert names == {"备婚中": False, "已婚5年": True, "周年纪念": False}


def test_guide_tags_a_customer_and_wecom_marks_it(app, org, client, as_hq, as_guide_a, sandbox):
    ids = _library(client, as_hq)
    customer_id, external = _setup_customer(app, org)
    res = client.post(
        f"/api/v1/customers/{customer_id}/tags", json={"add": [ids["备婚中"]]}, headers=as_guide_a
    )
    assert res.status_code == 200 and res.get_json()[0]["status"] == "pending"
    with app.app_context():
        assert outbox.drain() == 1
        wecom_id = db.session.get(CustomerTag, ids["备婚中"]).wecom_id
        assert tag_links.tags_of(external)[0]["status"] == "synced"
        assert tag_links.customers_with_tag(ids["备婚中"]) == [customer_id]
    assert sandbox.data["contact_tags"][f"ann|{external}"] == [wecom_id]
    client.post(
        f"/api/v1/customers/{customer_id}/tags",
        json={"remove": [ids["备婚中"]]},
        headers=as_guide_a,
    )
    with app.app_context():
        outbox.drain()
    assert sandbox.data["contact_tags"][f"ann|{external}"] == []
    empty = client.post(f"/api/v1/customers/{customer_id}/tags", json={}, headers=as_guide_a)
    assert empty.status_code == 422


def test_a_tag_wecom_refuses_is_shown_with_its_reason(app, org, client, as_hq, as_guide_a, sandbox):
    ids = _library(client, as_hq)
    customer_id, _ = _setup_customer(app, org)
    sandbox.add_fault("mark_tag", {"errcode": 40068, "count": 1})
    client.post(
        f"/api/v1/customers/{customer_id}/tags", json={"add": [ids["已婚"]]}, headers=as_guide_a
    )
    with app.app_context():
        outbox.drain()
        link = db.session.scalars(select(CustomerTagLink)).one()
        assert link.status == "refused" and link.error.startswith("40068")
    login(client, "hq")
    html = client.get("/admin/tags").get_data(as_text=True)
    assert "40068" in html and "王女士" in html


def test_tenancy_of_tags(app, org, client, as_hq, sandbox):
    ids = _library(client, as_hq)
    customer_id, _ = _setup_customer(app, org)
    other_guide = bearer(api_token(client, "guide-a2"))
    other_owner = bearer(api_token(client, "owner-b"))
    for headers in (other_guide, other_owner):
        res = client.post(
            f"/api/v1/customers/{customer_id}/tags", json={"add": [ids["已婚"]]}, headers=headers
        )
        assert res.status_code == 404
        assert (
            client.get(f"/api/v1/customers/{customer_id}/tags", headers=headers).status_code == 404
        )
    as_owner_b_page = client.get(f"/api/v1/tags/{ids['已婚']}/customers", headers=other_owner)
    assert as_owner_b_page.get_json()["total"] == 0


def test_rules_tag_automatically_and_never_undo_a_guide(app, org, client, as_hq, as_guide_a):
    ids = _library(client, as_hq)
    with app.app_context():
        high = gen_customer(org.fa, org.sa, org.ga, value_tier="high", nickname="高客")
        low = gen_customer(org.fa, org.sa, org.ga, value_tier="low", nickname="低客")
        tag = db.session.get(CustomerTag, ids["已婚"])
        tag.rule = "tier:high"
        db.session.commit()
        high_id, low_id = high.id, low.id
        tag_links.set_tags(customer=low, add=[ids["已婚"]])  # a guide's own tag
        assert tag_rules.apply_rules() == {"added": 1, "removed": 0}
        assert sorted(tag_links.customers_with_tag(ids["已婚"])) == sorted([high_id, low_id])
        db.session.get(Customer, high_id).value_tier = "mid"
        db.session.commit()
        assert tag_rules.apply_rules_for(high_id) == {"added": 0, "removed": 1}
        assert tag_links.customers_with_tag(ids["已婚"]) == [low_id]  # the guide's stays
    login(client, "hq")
    page = client.get(f"/admin/tags/customers?tag_id={ids['已婚']}").get_data(as_text=True)
    assert "低客" in page and "高客" not in page
    csv = client.get(f"/admin/tags/customers?tag_id={ids['已婚']}&format=csv").get_data(
        as_text=True
    )
    assert "低客" in csv


def test_a_payment_tags_the_buyer_by_the_next_minute_run(app, org, client, as_hq):
    """The notify stays one statement; the paid-order follow-up (every minute) tags."""
    from app.clock import utcnow
    from franchise.jobs.paid_followups import run_paid_followups
    from tests.franchise.factories_payments import gen_order_to_pay, gen_product, post_notify

    ids = _library(client, as_hq)
    with app.app_context():
        tag = db.session.get(CustomerTag, ids["备婚中"])
        tag.rule = "category:古法金"
        db.session.commit()
        buyer = gen_customer(org.fa, org.sa, org.ga, nickname="买家")
        order = gen_order_to_pay(buyer, 50000, product=gen_product(50000, category="古法金"))
        out_trade_no, buyer_id = order.out_trade_no, buyer.id
    assert post_notify(client, app, out_trade_no, 50000, "4200TAG1", sub="1900000301") == "SUCCESS"
    with app.app_context():
        assert tag_links.customers_with_tag(ids["备婚中"]) == []  # not on the notify's path
        result = run_paid_followups(now=utcnow() + timedelta(minutes=2))
        assert result == {"orders": 1, "failed_listeners": 0}, result
        assert tag_links.customers_with_tag(ids["备婚中"]) == [buyer_id]


def test_hq_renames_and_deletes_on_the_page_and_wecom_follows(app, org, client, as_hq, sandbox):
    from tests.fixtures.auth import csrf_token_from

    ids = _library(client, as_hq)
    login(client, "hq")
    html = client.get("/admin/tags").get_data(as_text=True)
    library = html[html.index('id="library"') :]
    assert "婚庆" in library and "备婚中" in library and "已同步企业微信" in library
    token = csrf_token_from(html)
    form = {"tag_id": ids["已婚"], "name": "已婚多年", "csrf_token": token}
    client.post("/admin/tags", data={**form, "action": "rename"})
    client.post("/admin/tags", data={**form, "tag_id": ids["备婚中"], "action": "delete"})
    with app.app_context():
        assert outbox.drain() == 2
    (group,) = sandbox.data["corp_tags"].values()
    assert [t["name"] for t in group["tag"]] == ["已婚多年"]


def test_a_tag_used_before_wecom_knows_it_reaches_the_customer_after(
    app, org, client, as_hq, as_guide_a, sandbox
):
    customer_id, external = _setup_customer(app, org)
    res = client.post(
        "/api/v1/tags", json={"name": "待唤醒", "tags": ["90天未购"]}, headers=as_hq
    ).get_json()
    tag_id = res["tags"][0]["id"]
    client.post(f"/api/v1/customers/{customer_id}/tags", json={"add": [tag_id]}, headers=as_guide_a)
    with app.app_context():
        assert outbox.drain() == 2  # add_corp_tag, then the mark_tag that waited for it
        wecom_id = db.session.get(CustomerTag, tag_id).wecom_id
        assert tag_links.tags_of(customer_id)[0]["status"] == "synced"
    assert sandbox.data["contact_tags"][f"ann|{external}"] == [wecom_id]
    bad = client.post(
        f"/api/v1/customers/{customer_id}/tags", json={"add": [tag_id + 99]}, headers=as_guide_a
    )
    assert bad.status_code == 422 and "add" in bad.get_json()["errors"]


def test_a_guides_tag_puts_the_customer_in_the_journey_that_starts_on_it(
    app, org, client, as_hq, as_guide_a, sandbox
):
    """Issue 14's "tagging them on mobile puts them in a tag-targeted plan": a journey
    started by a tag (HQ), the guide tags their contact, the customer is enrolled at once
    with the first step due today; a tag journey without its tag is a 422 naming tag_id."""
    from app.clock import shanghai_day
    from community.models.journeys import JourneyEnrolment, JourneySend
    from tests.community.factories_delivery import gen_post

    ids = _library(client, as_hq)
    customer_id, _ = _setup_customer(app, org)
    with app.app_context():
        post_id = gen_post(title="婚戒推荐").id
    body = {
        "name": "备婚关怀",
        "trigger": "tagged",
        "steps": [{"wait_days": 0, "post_id": post_id}],
    }
    missing = client.post("/api/v1/journeys", json=body, headers=as_hq)
    assert missing.status_code == 422 and "tag_id" in str(missing.get_json())
    made = client.post("/api/v1/journeys", json={**body, "tag_id": ids["备婚中"]}, headers=as_hq)
    assert made.status_code == 201, made.get_json()
    client.post(
        f"/api/v1/customers/{customer_id}/tags", json={"add": [ids["已婚"]]}, headers=as_guide_a
    )
    with app.app_context():
        assert db.session.scalars(select(JourneyEnrolment)).all() == []  # another tag
    client.post(
        f"/api/v1/customers/{customer_id}/tags", json={"add": [ids["备婚中"]]}, headers=as_guide_a
    )
    with app.app_context():
        (enrolment,) = db.session.scalars(select(JourneyEnrolment)).all()
        assert (enrolment.customer_id, enrolment.occurrence) == (customer_id, "tagged")
        (send,) = db.session.scalars(select(JourneySend)).all()
        assert send.due_on == shanghai_day() and send.guide_id == org.ga
