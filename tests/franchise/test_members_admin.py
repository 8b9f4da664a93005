"""The members pages: HQ's settings form (loaded through the API's schema, per-field
422s, nothing saved on a bad value), the member list (filter, CSV; an owner sees only
their customers' members, another's detail is 404), a member's detail with the points
history, the points book; the settings API refuses what the page refuses."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from franchise.models import Customer
from franchise.services import member_settings
from tests.fixtures.auth import csrf_token_from, login
from tests.fixtures.auth import post_form as _form
from tests.franchise.factories_members import paid_order
from tests.franchise.factories_payments import gen_customer


def _levels(threshold_silver="5000"):
    rows = {}
    for n, (code, yuan) in enumerate(
        (
            ("regular", "0"),
            ("silver", threshold_silver),
            ("gold", "20,000"),
            ("platinum", "50000"),
            ("diamond", "100000.00"),
        )
    ):
        rows |= {
            f"levels.{n}.code": code,
            f"levels.{n}.threshold_yuan": yuan,
            f"levels.{n}.earn_pct": "150",
            f"levels.{n}.discount_pct": str(n * 2),
            f"levels.{n}.free_cleanings": str(n),
        }
    rows["levels.4.priority_slots"] = "1"
    return rows


def test_hq_edits_member_settings(app, client, org):
    login(client, "hq")
    page = client.get("/admin/members/settings")
    assert page.status_code == 200 and "member-settings" in page.get_data(as_text=True)
    base = {
        "point_value_yuan": "0.02",
        "carrier": "split",
        "franchisee_share_pct": "40",
        "burn_cap_pct": "30",
        "expiry": "days",
        "expiry_days": "200",
        "reminder_days": "14",
        "signup_points": "10",
        "birthday_points": "20",
        "profile_points": "5",
        "refund_shortfall": "write_off",
    }
    bad = _form(client, "/admin/members/settings", {**base, "burn_cap_pct": "100", **_levels()})
    assert bad.status_code == 422 and 'data-error-for="burn_cap_pct"' in bad.get_data(as_text=True)
    bad_level = _form(client, "/admin/members/settings", {**base, **_levels("-5")})
    assert bad_level.status_code == 422
    assert 'data-error-for="levels.1.threshold_yuan"' in bad_level.get_data(as_text=True)
    with app.app_context():
        assert member_settings.config()["burn_cap_pct"] == 50  # nothing saved
    ok = _form(client, "/admin/members/settings", {**base, **_levels()})
    assert ok.status_code == 302
    with app.app_context():
        cfg = member_settings.config()
        assert cfg["carrier"] == "split" and cfg["point_value_fen"] == 2
        assert cfg["levels"][4]["priority_slots"] is True
        assert cfg["levels"][3]["priority_slots"] is False
        assert cfg["levels"][2]["discount_pct"] == 4
        assert [level["threshold_fen"] for level in cfg["levels"]] == [
            0,
            500_000,
            2_000_000,
            5_000_000,
            10_000_000,
        ]  # typed in yuan, kept in fen


def test_settings_api_names_the_field(client, org, as_hq, as_owner_a):
    res = client.put("/api/v1/members/settings", json={"burn_cap_pct": 1.5}, headers=as_hq)
    assert res.status_code == 422 and "burn_cap_pct" in str(res.get_json()["errors"])
    res = client.put("/api/v1/members/settings", json={"carrier": "nobody"}, headers=as_hq)
    assert res.status_code == 422 and "carrier" in str(res.get_json()["errors"])
    assert client.get("/api/v1/members/settings", headers=as_owner_a).status_code == 403
    res = client.put("/api/v1/members/settings", json={"reminder_days": 10}, headers=as_hq)
    assert res.status_code == 200 and res.get_json()["reminder_days"] == 10


def test_member_list_detail_and_points_book(app, client, org):
    with app.app_context():
        a = gen_customer(org.fa, nickname="林小姐").id
        b = gen_customer(org.fb, nickname="周先生").id
        paid_order(a, org.fa, 12_300)
        paid_order(b, org.fb, 600_000)  # ¥6,000: silver at once
        db.session.commit()
    login(client, "hq")
    html = client.get("/admin/members").get_data(as_text=True)
    assert "林小姐" in html and "周先生" in html
    html = client.get("/admin/members?level=silver").get_data(as_text=True)
    assert "周先生" in html and "林小姐" not in html
    csv = client.get("/admin/members?format=csv").get_data(as_text=True)
    assert f"M{a:09d}" in csv and f"M{b:09d}" in csv
    detail = client.get(f"/admin/members/{b}").get_data(as_text=True)
    assert "6,000" in detail or "6000" in detail
    assert any(word in detail for word in ("银卡", "Silver card"))
    book = client.get("/admin/members/points-book")
    text = book.get_data(as_text=True)
    assert book.status_code == 200
    assert any(w in text for w in ("Every points transaction balances", "每笔积分交易都平衡"))
    # the book's columns are a ledger's debits and credits, not credit attribution (业绩归属)
    headers = re.findall(r"<th[^>]*>\s*([^<]+?)\s*</th>", text)
    assert ("贷方" in headers or "Credits" in headers) and "业绩归属" not in headers
    client.get("/admin/logout")
    login(client, "owner-a")
    html = client.get("/admin/members").get_data(as_text=True)
    assert "林小姐" in html and "周先生" not in html
    assert client.get(f"/admin/members/{b}").status_code == 404
    assert client.get("/admin/members/points-book").status_code == 403


def test_points_settlement_page(app, client, org):
    with app.app_context():
        cid = gen_customer(org.fa).id
        paid_order(cid, org.fa, 50_000)  # A pays for 500 points
        customer = db.session.get(Customer, cid)
        customer.franchisee_id = org.fb
        db.session.commit()
        from franchise.models import PointItem
        from franchise.services import point_items

        db.session.add(PointItem(name="手链", points=300, stock=1))
        db.session.commit()
        point_items.redeem(cid, db.session.scalar(select(PointItem.id)))  # spent at B
    login(client, "owner-a")
    page = client.get("/admin/members/points-settlement")
    assert page.status_code == 200 and "-¥5.00" in page.get_data(as_text=True)
    other = client.get(f"/admin/members/points-settlement?franchisee_id={org.fb}")
    assert "¥3.00" not in other.get_data(as_text=True)  # B is not the owner's: A shown
    client.get("/admin/logout")
    login(client, "hq")
    page = client.get(f"/admin/members/points-settlement?franchisee_id={org.fb}")
    assert "¥3.00" in page.get_data(as_text=True)
    csv = client.get(f"/admin/members/points-settlement?franchisee_id={org.fb}&format=csv")
    assert csv.mimetype == "text/csv" and "300" in csv.get_data(as_text=True)


def test_hq_adds_point_items_that_members_can_take(app, client, org, as_hq):
    login(client, "hq")
    bad = _form(client, "/admin/members/point-items", {"name": "", "points": "0", "stock": "2"})
    assert bad.status_code == 422 and 'data-error-for="points"' in bad.get_data(as_text=True)
    ok = _form(
        client, "/admin/members/point-items", {"name": "珍珠挂件", "points": "500", "stock": "2"}
    )
    assert ok.status_code == 303
    res = client.post(
        "/api/v1/members/point-items",
        json={"name": "清洗套装", "points": 1.5, "stock": 1},
        headers=as_hq,
    )
    assert res.status_code == 422 and "points" in str(res.get_json()["errors"])
    items = client.get("/api/v1/mp/points/items").get_json()
    assert [(i["name"], i["points"], i["stock"]) for i in items] == [("珍珠挂件", 500, 2)]
    assert "珍珠挂件" in client.get("/admin/members/point-items").get_data(as_text=True)


def test_hq_writes_off_a_members_debt(app, client, org):
    from franchise.services import points_book, points_refunds
    from tests.franchise.factories_members import refund, spend_elsewhere

    with app.app_context():
        cid = gen_customer(org.fa).id
        order = paid_order(cid, org.fa, 30_000)
        spend_elsewhere(cid, org.fa, 250)
        refund(order, 30_000)
        assert points_refunds.points.debt_of(cid) == 250
    login(client, "hq")
    page = client.get(f"/admin/members/{cid}").get_data(as_text=True)
    token = csrf_token_from(page)
    res = client.post(f"/admin/members/{cid}/write-off", data={"csrf_token": token})
    assert res.status_code == 303
    with app.app_context():
        assert points_refunds.points.debt_of(cid) == 0
        assert points_book.unbalanced_transactions() == []
        assert points_book.account_balance("carrier:hq") == -250


def test_a_members_points_statement_filters_by_kind_and_day_and_exports(app, client, org):
    """One member's statement narrowed to a kind of posting and a span of days, on the
    admin page (and its CSV) and in the mini-program's own history; a bad filter is
    dropped on the page and a 422 naming the field in the API."""
    from franchise.services import points
    from tests.franchise.factories_payments import customer_headers

    with app.app_context():
        a = gen_customer(org.fa, nickname="林小姐").id
        paid_order(a, org.fa, 12_300)
        points.catch_up(a)
        assert points.reward_event(a, "profile") > 0
        db.session.commit()
        headers = customer_headers(a)
    login(client, "hq")
    everything = client.get(f"/admin/members/{a}?format=csv").get_data(as_text=True)
    assert len(everything.strip().splitlines()) == 3  # the header, the order, the reward
    rewards = client.get(f"/admin/members/{a}?kind=event").get_data(as_text=True)
    assert '<option value="event" selected>' in rewards
    export = re.search(r'href="(/admin/members/\d+\?[^"]*format=csv[^"]*)"', rewards)
    assert export and "kind=event" in export.group(1)
    csv = client.get(f"/admin/members/{a}?kind=event&format=csv").get_data(as_text=True)
    assert len(csv.strip().splitlines()) == 2 and "奖励" in csv  # the header and the reward
    assert client.get(f"/admin/members/{a}?kind=nonsense").status_code == 200
    past = client.get(f"/admin/members/{a}?date_to=2020-01-01&format=csv").get_data(as_text=True)
    assert len(past.strip().splitlines()) == 1  # the header alone
    mine = client.get("/api/v1/mp/points/history?kind=event", headers=headers).get_json()
    assert [i["kind"] for i in mine["items"]] == ["event"]
    bad = client.get("/api/v1/mp/points/history?kind=nonsense", headers=headers)
    assert bad.status_code == 422 and "kind" in str(bad.get_json())
