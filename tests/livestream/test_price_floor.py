"""A live price far below list is questioned: under HQ's floor (the setting
``live.price_floor_pct``, 50 % by default) a campaign saves only with
``confirm_low_prices``, and the link check shows the low prices as a warning."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from livestream.services.campaign_input import below_floor
from tests.fixtures.auth import login
from tests.franchise.factories import settings_form
from tests.livestream.factories import campaign_body, post_campaign


@given(st.integers(1, 10**12), st.integers(1, 10**12), st.integers(1, 100))
def test_below_floor_is_exact_integer_percent(live, listed, pct):
    assert below_floor(live, listed, pct) == (Fraction(live, listed) * 100 < pct)


def test_a_price_under_the_floor_needs_a_confirmation(client, live_org, hq_headers):
    low = [{"product_id": live_org.products[0], "live_price_fen": 500_00, "stock_cap": 5}]
    refused = post_campaign(client, hq_headers, campaign_body(live_org, lineup=low))
    assert refused.status_code == 422
    assert "lineup.0.live_price_fen" in refused.get_json()["errors"]
    body = campaign_body(live_org, lineup=low, confirm_low_prices=True)
    saved = post_campaign(client, hq_headers, body)
    assert saved.status_code == 201, saved.get_json()
    fair = campaign_body(live_org)  # 1,500 of 1,999: above the floor, no question asked
    assert post_campaign(client, hq_headers, fair).status_code == 201
    login(client, "hq")
    page = client.get(f"/admin/live/campaigns/{saved.get_json()['id']}/link-check")
    html = page.get_data(as_text=True)
    assert 'id="low-prices"' in html and "¥500.00 / ¥1,999.00" in html


def test_hq_sets_the_floor(client, live_org, hq_headers):
    login(client, "hq")
    from tests.fixtures.auth import csrf_token_from

    page = client.get("/admin/assignment-settings").get_data(as_text=True)
    assert "直播价下限" in page

    data = settings_form()
    data.update(live__price_floor_pct="20", csrf_token=csrf_token_from(page))
    assert client.post("/admin/assignment-settings", data=data).status_code == 302
    low = [{"product_id": live_org.products[0], "live_price_fen": 500_00, "stock_cap": 5}]
    assert post_campaign(client, hq_headers, campaign_body(live_org, lineup=low)).status_code == 201
