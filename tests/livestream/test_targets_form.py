"""The targets editor's rule and figure forms load through the API's schemas: the same
input gets the same message on the page as from ``/api/v1/campaigns/<id>/rules``."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from livestream.models import RewardRule
from tests.fixtures.auth import csrf_token_from, login
from tests.livestream.factories import gen_campaign


def test_rule_page_and_api_give_the_same_message(client, app, live_org, hq_headers):
    with app.app_context():
        cid = gen_campaign("store", live_org.stores).id
    body = {"kind": "reward", "level": "store", "metric": "gmv_fen", "threshold_pct": 2000}
    api = client.post(f"/api/v1/campaigns/{cid}/rules", json=body, headers=hq_headers)
    assert api.status_code == 422
    message = api.get_json()["errors"]["threshold_pct"][0]
    assert message == "必须在 0 到 1000 之间。"
    login(client, "hq")
    token = csrf_token_from(client.get(f"/admin/live/campaigns/{cid}/targets").get_data(True))
    form = {"csrf_token": token, **{k: str(v) for k, v in body.items()}, "amount_yuan": "1.5"}
    page = client.post(f"/admin/live/campaigns/{cid}/rules", data=form)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'data-error-for="threshold_pct"' in html and message in html
    ok = client.post(
        f"/admin/live/campaigns/{cid}/rules",
        data={**form, "threshold_pct": "1,000", "amount_yuan": "¥50,000,000.50"},
    )
    assert ok.status_code == 303
    with app.app_context():
        rule = db.session.scalars(select(RewardRule)).one()
        assert (rule.threshold_pct, rule.amount_fen) == (1000, 50_000_000_50)
