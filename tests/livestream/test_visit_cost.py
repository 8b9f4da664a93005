"""A live visit (the surge's second request, issue 20 login round) is answered with the
row as written: nothing is read back after its commit, and the answer is what a read
of the row gives."""

from __future__ import annotations

from app.extensions import db
from livestream.models import CampaignVisit
from tests.fixtures.statements import statements
from tests.livestream.scenarios import _campaign, _mp_login, _share


def test_a_first_visit_answers_the_row_as_written(app, client, live_org, guide_a1_headers):
    cid = _campaign(app, live_org, status="live", live_in_days=0)
    code = _share(client, guide_a1_headers, cid)["code"]
    token = {"Authorization": f"Bearer {_mp_login(client, 'code-visit-cost', code)['token']}"}
    with app.app_context(), statements() as seen:
        answer = client.post(
            f"/api/v1/mp/campaigns/{cid}/visits", json={"share_code": code}, headers=token
        )
    assert answer.status_code == 201, answer.get_json()
    inserted = next(i for i, s in enumerate(seen) if s.startswith("INSERT INTO live_visits"))
    assert not [s for s in seen[inserted:] if "FROM live_visits" in s], seen[inserted:]
    body = answer.get_json()
    with app.app_context():
        row = db.session.get(CampaignVisit, body["id"])
        assert (row.guide_id, row.store_id, row.franchisee_id, row.region_id) == (
            body["guide_id"],
            body["store_id"],
            body["franchisee_id"],
            body["region_id"],
        )
        assert row.is_new_customer is body["is_new_customer"] is True
        assert row.share_code == body["share_code"] == code
    again = client.post(f"/api/v1/mp/campaigns/{cid}/visits", json={}, headers=token)
    assert again.status_code == 200 and again.get_json() == body
