"""The campaign wizard and ``/api/v1/campaigns`` load through one schema family
(``livestream.schemas``): the same bad value gets the same message on the page as from
the API, and the page's yuan goes through ``app.money.parse_yuan``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from livestream.models import Campaign
from tests.fixtures.auth import login
from tests.livestream.factories import wizard_form

BASE = "/admin/live/campaigns"


def _body(org, **kw) -> dict:
    live_at = (utcnow() + timedelta(days=30)).replace(microsecond=0).isoformat()
    body = {"name": "春季新品直播", "mode": "hq", "live_at": live_at, "region_ids": [org.east]}
    return {**body, **kw}


def _post(client, headers, body):
    return client.post("/api/v1/campaigns", json=body, headers=headers)


def test_wizard_and_api_give_the_same_message(app, client, live_org, hq_headers):
    api = _post(client, hq_headers, _body(live_org, duration_minutes=5))
    assert api.status_code == 422
    message = api.get_json()["errors"]["duration_minutes"][0]
    assert message == "必须在 15 到 720 之间。"
    login(client, "hq")
    page = client.post(f"{BASE}/new", data=wizard_form(client, live_org, duration_minutes="5"))
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'data-error-for="duration_minutes"' in html and message in html
    with app.app_context():
        assert db.session.scalar(select(Campaign)) is None


def test_wizard_reads_grouped_yuan_exactly(app, client, live_org):
    login(client, "hq")
    form = wizard_form(client, live_org, lineup_live_price=["¥1,599.50", "4,999"])
    assert client.post(f"{BASE}/new", data=form).status_code == 303
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert [i.live_price_fen for i in campaign.lineup] == [1599_50, 4999_00]
