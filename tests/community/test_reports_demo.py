"""The demo's reports have figures: after ``seed-demo`` a plan's report, its post's report
and the first-purchase journey's first step's report each show orders and a paid amount,
the plan's groups show WeCom's messages read back from the emulator, and the journey's own
report counts the same step orders; a second seed changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.seed import seed_demo
from community.models import PushPlan
from community.models.journeys import Journey
from franchise.models import Order


@pytest.mark.slow
def test_the_demo_reports_are_not_empty(app, sandbox, client, as_hq):
    seed_demo(app)
    with app.app_context():
        plan = db.session.scalars(select(PushPlan).order_by(PushPlan.id)).first()
        journey = db.session.scalars(
            select(Journey).where(Journey.trigger == "first_purchase")
        ).first()
        plan_id, post_id = plan.id, plan.post_id
        journey_id, step_id = journey.id, journey.steps[0].id
        orders = db.session.scalar(select(func.count()).select_from(Order))
    reports = [
        client.get(f"/api/v1/plans/{plan_id}/report", headers=as_hq).get_json(),
        client.get(f"/api/v1/content/{post_id}/report", headers=as_hq).get_json(),
        client.get(f"/api/v1/journeys/{journey_id}/steps/{step_id}/report", headers=as_hq)
        .get_json(),
    ]  # fmt: skip
    for body in reports:
        assert body["totals"]["orders"] > 0 and body["totals"]["paid_fen"] > 0, body["kind"]
        assert body["totals"]["customers"] > 0 and body["series"]
    plan_report = reports[0]
    assert plan_report["totals"]["messages"] and plan_report["totals"]["messages_before"]
    assert plan_report["statistics_read_to"] is not None
    whole = client.get(f"/api/v1/journeys/{journey_id}/report", headers=as_hq).get_json()
    assert whole["steps"][0]["orders"] == reports[2]["totals"]["orders"]
    _pages_differ(client, plan_id, plan_report["totals"]["sends"])
    seed_demo(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == orders


def _pages_differ(client, plan_id: int, sends: int) -> None:
    """The plan's page pages its sends in the database: pages 1 and 2 of 5 differ, the
    CSV streams them all."""
    from tests.fixtures.auth import login

    login(client, "hq")
    base = f"/admin/plans/{plan_id}/report"
    first, second = (
        client.get(f"{base}?per_page=5&page={n}")
        .get_data(as_text=True)
        .split('id="report-rows"')[1]
        for n in (1, 2)
    )
    assert first.count("<tr") == second.count("<tr") == 6 and first != second
    assert len(client.get(f"{base}?format=csv").get_data(as_text=True).splitlines()) == sends + 1
