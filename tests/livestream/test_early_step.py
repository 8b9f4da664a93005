"""A timeline step cannot be marked done long before its window without a reason: the API
answers 422 on ``early_reason``, the board asks for the reason and a confirmation, and
the reason stays as the step's note. Within the window no reason is asked."""

from __future__ import annotations

from datetime import timedelta

from app.clock import shanghai_day
from app.extensions import db
from livestream.models import TimelineStep
from livestream.services import timeline
from tests.fixtures.auth import csrf_token_from, login
from tests.livestream.factories import gen_campaign


def _step(campaign_id: int, starts_in: int) -> int:
    step = TimelineStep(
        campaign_id=campaign_id,
        kind="custom",
        title="彩排",
        starts_on=shanghai_day() + timedelta(days=starts_in),
        due_on=shanghai_day() + timedelta(days=starts_in + 1),
    )
    db.session.add(step)
    db.session.commit()
    return step.id


def test_early_done_needs_a_reason_and_keeps_it(app, client, live_org, hq_headers):
    with app.app_context():
        campaign = gen_campaign(store_ids=[live_org.a1], live_in_days=30)
        cid = campaign.id
        far, near = _step(cid, timeline.EARLY_DAYS + 5), _step(cid, timeline.EARLY_DAYS)
    url = f"/api/v1/campaigns/{cid}/steps/{far}"
    refused = client.patch(url, json={"done": True}, headers=hq_headers)
    assert refused.status_code == 422 and "early_reason" in refused.get_json()["errors"]
    short = client.patch(url, json={"done": True, "early_reason": "ok"}, headers=hq_headers)
    assert short.status_code == 422
    done = client.patch(
        url, json={"done": True, "early_reason": "场地提前就绪"}, headers=hq_headers
    )
    assert done.status_code == 200 and done.get_json()["note"] == "场地提前就绪"
    near_url = f"/api/v1/campaigns/{cid}/steps/{near}"
    assert client.patch(near_url, json={"done": True}, headers=hq_headers).status_code == 200


def test_the_board_asks_for_the_reason(app, client, live_org):
    with app.app_context():
        campaign = gen_campaign(store_ids=[live_org.a1], live_in_days=30)
        cid = campaign.id
        far = _step(cid, 20)
    login(client, "hq")
    page = client.get(f"/admin/live/campaigns/{cid}").get_data(as_text=True)
    assert 'name="early_reason"' in page and "data-confirm" in page
    url = f"/admin/live/campaigns/{cid}/steps/{far}"
    data = {"csrf_token": csrf_token_from(page), "action": "done"}
    res = client.post(url, data=data, follow_redirects=True)
    assert "才开始：如要提前标记完成" in res.get_data(as_text=True)
    client.post(url, data={**data, "early_reason": "彩排场地已经就绪"})
    with app.app_context():
        step = db.session.get(TimelineStep, far)
        assert step.done_at is not None and step.note == "彩排场地已经就绪"
