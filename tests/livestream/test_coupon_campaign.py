"""A coupon template names a live campaign that exists: franchise asks livestream through
the ``CAMPAIGN_EXISTS`` hook (it may not import it), so an unknown ``campaign_id`` is a 422
naming the field instead of a template tied to nothing."""

from __future__ import annotations

from app.extensions import db
from tests.livestream.factories import gen_campaign


def _template(campaign_id):
    return {
        "name": "直播专享券",
        "kind": "campaign",
        "amount_off_fen": 5000,
        "threshold_fen": 50000,
        "valid_days": 7,
        "campaign_id": campaign_id,
    }


def test_an_unknown_campaign_is_refused_and_a_real_one_accepted(app, client, hq_headers):
    refused = client.post("/api/v1/coupon-templates", json=_template(999_999), headers=hq_headers)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"campaign_id": ["直播活动不存在。"]}
    with app.app_context():
        campaign = gen_campaign()
        db.session.commit()
        campaign_id = campaign.id
    made = client.post("/api/v1/coupon-templates", json=_template(campaign_id), headers=hq_headers)
    assert made.status_code == 201, made.get_json()
    template_id = made.get_json()["id"]
    moved = client.patch(
        f"/api/v1/coupon-templates/{template_id}",
        json={"campaign_id": 999_998},
        headers=hq_headers,
    )
    assert moved.status_code == 422 and "campaign_id" in moved.get_json()["errors"]
