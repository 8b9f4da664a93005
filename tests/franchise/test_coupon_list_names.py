"""The issued coupons list (``/admin/coupons/issued``) names where a coupon was redeemed:
the guide and the store by name, on the page and in the CSV, never by their ids; a
coupon not redeemed in a store shows a dash."""

from __future__ import annotations

import re

from franchise.services import coupons as coupon_service
from tests.fixtures.auth import api_token, bearer, login
from tests.franchise.factories_commerce import gen_template


def _cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in rows
    ]


def test_the_redeeming_guide_and_store_are_names(client, app, org, shop):
    with app.app_context():
        template = gen_template({org.east: 10})
        redeemed = coupon_service.issue_coupon(template.id, shop.ca2).code
        coupon_service.issue_coupon(template.id, shop.ca)
    guide = bearer(api_token(client, "guide-a"))
    answer = client.post("/api/v1/coupons/redeem", json={"code": redeemed}, headers=guide)
    assert answer.status_code == 200
    login(client, "owner-a")
    rows = {
        row[0]: row
        for row in _cells(client.get("/admin/coupons/issued").get_data(as_text=True))
        if row
    }
    assert rows[redeemed][-2:] == ["Ann", "上海A店"]
    assert [row[-2:] for code, row in rows.items() if code != redeemed] == [["—", "—"]]
    csv = client.get("/admin/coupons/issued?format=csv").get_data(as_text=True)
    line = next(line for line in csv.splitlines() if line.startswith(redeemed))
    assert line.endswith(",Ann,上海A店")
    assert f",{org.ga},{org.sa}" not in csv
