"""Review page (HQ and owner), its CSV export, and the guide's own results page."""

from __future__ import annotations

import csv
import io
import re

from tests.fixtures.auth import login

PAGE = "/admin/live/campaigns/{}/review"


def _csv(resp) -> list[list[str]]:
    text = resp.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_hq_review_page_shows_figures_charts_and_outcomes(app, client, live_org, reviewed):
    login(client, "hq")
    resp = client.get(PAGE.format(reviewed.campaign_id) + "?level=store")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "¥9,400.00" in html  # headline GMV
    assert "¥4,500.00" in html and "上海A1店" in html and "北京C1店" in html
    assert html.count('class="chart-bar"') >= 8  # target + actual per store, conversion bars
    assert 'class="chart chart-line"' in html
    assert 'aria-current="page"' in html and "campaign-tabs" in html
    assert 'data-figure="reward-total">¥1,000.00' in html
    assert 'data-figure="penalty-total">¥100.00' in html
    assert f"/admin/live/campaigns/{reviewed.campaign_id}/review/export?level=store" in html
    for level in ("region", "franchisee", "guide", "nonsense"):
        assert client.get(PAGE.format(reviewed.campaign_id) + f"?level={level}").status_code == 200


def test_csv_export_equals_the_orders(app, client, live_org, reviewed):
    login(client, "hq")
    resp = client.get(PAGE.format(reviewed.campaign_id) + "/export?level=store&lang=en")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    rows = _csv(resp)
    header, body = rows[0], rows[1:]
    by_unit = {r[header.index("Unit")]: r for r in body}
    gmv = header.index("GMV (yuan)")
    assert {unit: r[gmv] for unit, r in by_unit.items()} == {
        "上海A1店": "4500.00",
        "上海A2店": "500.00",
        "杭州B1店": "2000.00",
        "北京C1店": "2400.00",
    }
    assert by_unit["上海A1店"][header.index("GMV achieved %")] == "112.5"
    assert by_unit["上海A1店"][header.index("AOV (yuan)")] == "1500.00"
    guides = _csv(client.get(PAGE.format(reviewed.campaign_id) + "/export?level=guide&lang=en"))
    assert "Store" in guides[0]
    assert sum(float(r[guides[0].index("GMV (yuan)")]) for r in guides[1:]) == 9400.0


def test_owner_review_page_shows_their_units_only(app, client, live_org, reviewed):
    login(client, "owner-a")
    html = client.get(PAGE.format(reviewed.campaign_id) + "?level=store").get_data(as_text=True)
    assert "上海A1店" in html and "上海A2店" in html
    assert "北京C1店" not in html and "杭州B1店" not in html and "BJ-C1-1" not in html
    assert "level=region" not in html
    region = client.get(PAGE.format(reviewed.campaign_id) + "?level=region").get_data(as_text=True)
    assert "华北" not in region and "Gamma Jewels" not in region
    rows = _csv(client.get(PAGE.format(reviewed.campaign_id) + "/export?level=store&lang=en"))
    assert {r[rows[0].index("Unit")] for r in rows[1:]} == {"上海A1店", "上海A2店"}


def test_review_page_access(app, client, live_org, reviewed):
    assert client.get(PAGE.format(reviewed.campaign_id)).status_code == 302  # to the login page
    login(client, "owner-c")
    assert client.get(PAGE.format(999999)).status_code == 404
    client.get("/admin/logout")
    login(client, "guide-a1", path="/m/login")
    assert client.get(PAGE.format(reviewed.campaign_id)).status_code == 403


def test_guide_sees_only_their_own_results(app, client, live_org, reviewed):
    login(client, "guide-a1", path="/m/login")
    resp = client.get("/m/live/results")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert f'data-campaign="{reviewed.campaign_id}"' in html
    mine = html[html.index(f'data-campaign="{reviewed.campaign_id}"') :]
    assert re.search(r'data-figure="gmv">¥4,000\.00<', mine)
    assert re.search(r'data-figure="orders">2<', mine)
    assert re.search(r'data-figure="rank-store">1 / 2<', mine)
    assert re.search(r'data-figure="rank-campaign">1 / 8<', mine)
    assert "¥4,500.00" in mine  # their store's GMV against its target
    for other in ("SH-A1-2", "BJ-C1-1", "HZ-B1-1", "¥2,400.00", "¥500.00"):
        assert other not in html
    one = client.get(f"/m/live/{reviewed.campaign_id}/results")
    assert one.status_code == 200 and "¥4,000.00" in one.get_data(as_text=True)
    assert client.get("/m/live/999999/results").status_code == 404


def test_guide_ranks_and_another_guides_view(app, client, live_org, reviewed):
    login(client, "guide-c1", path="/m/login")
    html = client.get(f"/m/live/{reviewed.campaign_id}/results").get_data(as_text=True)
    assert 'data-figure="gmv">¥2,400.00<' in html
    assert 'data-figure="rank-campaign">2 / 8<' in html  # behind SH-A1-1's 4,000
    assert "¥4,000.00" not in html and "SH-A1-1" not in html


def test_results_page_needs_a_guide(app, client, live_org):
    assert client.get("/m/live/results").status_code == 302
    login(client, "hq")
    assert client.get("/m/live/results").status_code == 403
