"""Did it work: a post's outcome through the sending guide's share code, and the report
API's tenancy. An order by a group member through the code within N days counts; one
later, one without the code, one before the send and one in another franchise do not;
an owner sees only their franchise's groups, and a plan their franchise never received
is 404; the per-day series and the groups' activity come from the statistics read back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import shanghai_day, utcnow
from app.extensions import db
from community.models import GroupChatStat, JourneyEnrolment, JourneySend, SendBatch
from franchise.models import ShareCode
from tests.community.factories_journeys import gen_journey
from tests.community.factories_reports import gen_order, sent_world
from tests.fixtures.auth import signed_in
from tests.franchise.factories_commerce import gen_customer

as_owner_b = signed_in("owner-b", "org")


@pytest.fixture
def sent(ctx, org, sandbox, client):
    return sent_world(org, sandbox, client)


def test_the_links_carry_the_senders_share_code(sent, sandbox):
    urls = sorted(t["attachments"][0]["link"]["url"] for t in sandbox.data["tasks"].values())
    assert urls == sorted(
        f"https://shop.example.com/p?id=9&share_code={sent[k]}" for k in ("ann_code", "bob_code")
    )


def test_orders_through_the_code_within_n_days_count(sent, client, as_hq):
    x, y, now = sent["x"], sent["y"], utcnow()
    gen_order(x, sent["ann_code"], now + timedelta(minutes=5), 520_00)  # counts
    gen_order(x, sent["ann_code"], now + timedelta(days=8), 99_00)  # day 8: outside 7
    gen_order(x, None, now + timedelta(minutes=6), 77_00)  # no share code
    gen_order(x, sent["ann_code"], now - timedelta(hours=2), 66_00)  # before the send
    gen_order(x, sent["ann_code"], now + timedelta(minutes=7), 55_00, franchisee_id=y.franchisee_id)
    gen_order(y, sent["bob_code"], now + timedelta(minutes=8), 300_00)  # plan B's

    body = client.get(f"/api/v1/plans/{sent['plan_a']}/report", headers=as_hq).get_json()

    assert body["outcome_days"] == 7
    assert (body["totals"]["orders"], body["totals"]["paid_fen"], body["totals"]["customers"]) == (
        1,
        520_00,
        1,
    )
    assert [(r["group_name"], r["guide_name"], r["orders"]) for r in body["rows"]] == [
        (body["rows"][0]["group_name"], "Ann", 1)
    ]
    assert body["series"][0]["date"] == sent["day"].isoformat()
    wider = client.get(f"/api/v1/plans/{sent['plan_a']}/report?days=10", headers=as_hq)
    assert wider.get_json()["totals"]["paid_fen"] == 520_00 + 99_00
    plan_b = client.get(f"/api/v1/plans/{sent['plan_b']}/report", headers=as_hq).get_json()
    assert plan_b["totals"]["paid_fen"] == 300_00
    bad = client.get(f"/api/v1/plans/{sent['plan_a']}/report?days=0", headers=as_hq)
    assert bad.status_code == 422 and "days" in str(bad.get_json()["errors"])


def test_owners_see_their_franchise_and_404_for_anothers(sent, client, as_owner_a, as_owner_b):
    gen_order(sent["y"], sent["bob_code"], utcnow() + timedelta(minutes=8), 300_00)
    mine = client.get(f"/api/v1/plans/{sent['plan_a']}/report", headers=as_owner_a)
    assert mine.status_code == 200
    assert [r["guide_name"] for r in mine.get_json()["rows"]] == ["Ann"]
    theirs = client.get(f"/api/v1/plans/{sent['plan_b']}/report", headers=as_owner_a)
    assert theirs.status_code == 404
    assert (
        client.get(f"/api/v1/plans/{sent['plan_b']}/report", headers=as_owner_b).get_json()[
            "totals"
        ]["paid_fen"]
        == 300_00
    )
    missing = client.get("/api/v1/plans/999999/report", headers=as_owner_a)
    assert missing.status_code == 404


def test_content_report_and_the_groups_activity(sent, client, as_hq):
    day = sent["day"]
    db.session.add(GroupChatStat(owner_userid="ann", day=day, msg_total=12, member_has_msg=4))
    db.session.add_all(
        GroupChatStat(
            owner_userid="ann", day=day - timedelta(days=n), msg_total=2, member_has_msg=1
        )
        for n in range(1, 8)
    )
    db.session.commit()
    post_id = db.session.scalar(select(SendBatch.post_id).where(SendBatch.sender_userid == "ann"))
    body = client.get(f"/api/v1/content/{post_id}/report", headers=as_hq).get_json()
    row = body["rows"][0]
    assert (row["messages"], row["messages_before"], row["active_members"]) == (12, 2.0, 4)
    assert body["statistics_read_to"] == day.isoformat()
    assert body["totals"]["messages"] == 12


def _step_sent(org):
    """A one-step journey Ann sent 小雪 (confirmed now) and Ann's share code."""
    x = gen_customer(org.fa, org.sa, org.ga, nickname="小雪")
    journey = gen_journey(waits=(0,))
    step = journey.steps[0]
    enrolment = JourneyEnrolment(journey_id=journey.id, customer_id=x.id, occurrence="t",
                                 started_on=shanghai_day(), franchisee_id=org.fa)  # fmt: skip
    db.session.add(enrolment)
    db.session.flush()
    db.session.add(JourneySend(enrolment_id=enrolment.id, journey_id=journey.id, step_id=step.id,
                               customer_id=x.id, franchisee_id=org.fa, guide_id=org.ga,
                               due_on=shanghai_day(), deadline=shanghai_day(), status="sent",
                               sent_on=shanghai_day(), confirmed_at=utcnow()))  # fmt: skip
    code = ShareCode(code="ANNJOURNEY", kind="guide", franchisee_id=org.fa, store_id=org.sa,
                     guide_id=org.ga)  # fmt: skip
    db.session.add(code)
    db.session.commit()
    return journey, step, x


def test_a_journey_steps_report_counts_its_customers_orders(ctx, org, client, as_hq, as_owner_b):
    journey, step, x = _step_sent(org)
    gen_order(x, "ANNJOURNEY", utcnow() + timedelta(minutes=1), 800_00)
    url = f"/api/v1/journeys/{journey.id}/steps/{step.id}/report"
    body = client.get(url, headers=as_hq).get_json()
    assert (body["kind"], body["totals"]["orders"], body["totals"]["paid_fen"]) == (
        "journey_step",
        1,
        800_00,
    )
    assert body["rows"][0]["customer_name"] == "小雪"
    assert client.get(url, headers=as_owner_b).status_code == 404
    other = gen_journey(waits=(0,))
    wrong = f"/api/v1/journeys/{other.id}/steps/{step.id}/report"
    assert client.get(wrong, headers=as_hq).status_code == 404


def test_the_journey_report_and_the_step_report_count_one_rule(ctx, org, client, as_hq):
    """Only the order through the sender's code counts on both pages; one without a code
    and one after the journey's N days (which the old journey report counted) do not."""
    journey, step, x = _step_sent(org)
    now = utcnow()
    gen_order(x, "ANNJOURNEY", now + timedelta(hours=2), 800_00)  # counts
    gen_order(x, None, now + timedelta(days=1), 300_00)  # no code: not this step's
    gen_order(x, "ANNJOURNEY", now + timedelta(days=9), 50_00)  # after 7 days
    whole = client.get(f"/api/v1/journeys/{journey.id}/report", headers=as_hq).get_json()
    url = f"/api/v1/journeys/{journey.id}/steps/{step.id}/report"
    one = client.get(url, headers=as_hq).get_json()
    assert (whole["orders"], whole["order_fen"]) == (1, 800_00)
    assert (whole["steps"][0]["orders"], whole["steps"][0]["order_fen"]) == (1, 800_00)
    assert (one["totals"]["orders"], one["totals"]["paid_fen"], one["outcome_days"]) == (
        1,
        800_00,
        whole["outcome_days"],
    )
    wider = client.get(f"{url}?days=10", headers=as_hq).get_json()
    assert wider["totals"]["orders"] == 2  # a viewer may still ask for another N


def test_the_report_page_in_words_with_chart_table_and_csv(sent, client):
    from tests.fixtures.auth import login

    gen_order(sent["x"], sent["ann_code"], utcnow() + timedelta(minutes=5), 520_00)
    login(client, "hq")
    page = client.get(f"/admin/plans/{sent['plan_a']}/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "¥520.00" in html and "<svg" in html and 'id="report-rows"' in html
    csv = client.get(f"/admin/plans/{sent['plan_a']}/report?format=csv").get_data(as_text=True)
    assert "520.00" in csv and "Ann" in csv
    none = client.get(f"/admin/plans/{sent['plan_a']}/report?ordered=no").get_data(as_text=True)
    assert "¥520.00" not in none.split('id="report-rows"')[1]


def test_content_and_step_pages_and_an_owners_404(sent, client, org):
    from tests.fixtures.auth import login

    post_id = db.session.scalar(select(SendBatch.post_id).where(SendBatch.sender_userid == "ann"))
    journey = gen_journey(waits=(0,))
    login(client, "hq")
    content_page = client.get(f"/admin/content/{post_id}/report").get_data(as_text=True)
    assert "古法金" in content_page and 'id="report-rows"' in content_page
    step = client.get(f"/admin/journeys/{journey.id}/steps/{journey.steps[0].id}/report")
    assert step.status_code == 200 and "旅程步骤" in step.get_data(as_text=True)
    client.get("/admin/logout")
    login(client, "owner-a")
    assert client.get(f"/admin/plans/{sent['plan_b']}/report").status_code == 404
    assert client.get(f"/admin/plans/{sent['plan_a']}/report").status_code == 200
