"""The journey pages: HQ's editor saves a journey and names a bad field beside it (a
negative wait → 422), the list with its filter and CSV, the report's figures and sends
scoped to the owner's franchise, the editor closed to owners."""

from __future__ import annotations

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from community.models.journeys import Journey
from community.services import journey_sends, journey_triggers
from tests.community.factories_delivery import gen_post
from tests.community.factories_groups import gen_paid_order
from tests.community.factories_journeys import gen_journey
from tests.fixtures.auth import csrf_token_from, login
from tests.franchise.factories_commerce import gen_customer


def _form(token: str, post_id: int, wait: str = "0") -> dict:
    return {"csrf_token": token, "name": "首购三步", "trigger": "first_purchase",
            "outcome_days": "7", "active": "1", "step_wait_1": wait, "step_window_1": "3",
            "step_post_1": str(post_id), "step_wait_2": "5", "step_window_2": "2",
            "step_post_2": str(post_id)}  # fmt: skip


def test_hq_saves_a_journey_and_sees_a_bad_wait_beside_its_field(client, app, org):
    with app.app_context():
        post_id = gen_post(title="首购感谢").id
    login(client, "hq")
    page = client.get("/admin/journeys/new")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    bad = client.post("/admin/journeys/new", data=_form(token, post_id, wait="-2"))
    assert bad.status_code == 422
    assert 'data-error-for="step_wait_1"' in bad.get_data(as_text=True)
    saved = client.post("/admin/journeys/new", data=_form(token, post_id))
    assert saved.status_code == 303
    with app.app_context():
        journey = db.session.scalars(select(Journey)).one()
        assert [(s.wait_days, s.window_days) for s in journey.steps] == [(0, 3), (5, 2)]
    listed = client.get("/admin/journeys?trigger=first_purchase").get_data(as_text=True)
    assert "首购三步" in listed and "首次购买" in listed
    assert (
        client.get("/admin/journeys?trigger=birthday").get_data(as_text=True).count("首购三步") == 0
    )
    csv = client.get("/admin/journeys?format=csv")
    assert csv.status_code == 200 and "首购三步" in csv.get_data(as_text=True)


def test_the_report_is_scoped_to_the_owners_franchise(client, app, org):
    with app.app_context():
        mine = gen_customer(org.fa, org.sa, org.ga, nickname="甲方顾客")
        theirs = gen_customer(org.fb, org.sb, org.gb, nickname="乙方顾客")
        for customer in (mine, theirs):
            gen_paid_order(customer).paid_at = utcnow()
        db.session.commit()
        journey_id = gen_journey(waits=(0,)).id
        journey_triggers.run()
        journey_sends.dispatch()  # neither is a WeCom contact: skipped with the reason
    login(client, "owner-a")
    html = client.get(f"/admin/journeys/{journey_id}/report").get_data(as_text=True)
    assert "甲方顾客" in html and "乙方顾客" not in html
    assert 'data-figure="enrolled">1<' in html and 'data-figure="skipped">1<' in html
    assert 'id="receiving-limit" data-policy="month"' in html
    csv = client.get(f"/admin/journeys/{journey_id}/report?format=csv").get_data(as_text=True)
    assert "甲方顾客" in csv and "乙方顾客" not in csv
    assert client.get(f"/admin/journeys/{journey_id}").status_code in (403, 404)


def test_the_guide_keeps_a_customers_wedding_day(client, app, org):
    from community.models.journeys import CustomerDate

    with app.app_context():
        mine = gen_customer(org.fa, org.sa, org.ga, nickname="林女士").id
        theirs = gen_customer(org.fb, org.sb, org.gb).id
    login(client, "guide-a", path="/m/login")
    page = client.get(f"/m/journeys/customers/{mine}/dates")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    bad = client.post(f"/m/journeys/customers/{mine}/dates",
                      data={"csrf_token": token, "wedding": "2020-13-40"})  # fmt: skip
    assert bad.status_code == 422 and 'data-error-for="wedding"' in bad.get_data(as_text=True)
    saved = client.post(f"/m/journeys/customers/{mine}/dates",
                        data={"csrf_token": token, "wedding": "2020-05-20"})  # fmt: skip
    assert saved.status_code == 303
    with app.app_context():
        row = db.session.scalars(select(CustomerDate)).one()
        assert (row.customer_id, row.kind, row.day.isoformat()) == (mine, "wedding", "2020-05-20")
        assert row.guide_id == org.ga
    assert client.get(f"/m/journeys/customers/{theirs}/dates").status_code == 404
    assert "customer-dates-link" in client.get(f"/m/customers/{mine}").get_data(as_text=True)
