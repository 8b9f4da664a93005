"""The guide's phone: Today puts the most urgent first (training due before a coming live
ahead of a live on air elsewhere), "more" is a real menu, 核销 has its own tab, a numeric
answer opens a numeric keypad, and a customer's last order and order count agree."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from app.clock import utcnow
from app.extensions import db
from app.web import urgency
from app.web.today import TodayNote
from franchise.models import Guide
from livestream.models import ChecklistItem
from tests.fixtures.auth import login
from tests.franchise.factories import build_org
from tests.franchise.factories_payments import gen_customer, gen_order
from tests.livestream.factories import gen_campaign

T = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def test_urgency_puts_what_waits_and_is_due_soonest_first():
    notes = [
        TodayNote("info", "figures"),
        TodayNote("later", "training", 1, T + timedelta(days=1)),
        TodayNote("undated", "something", 2),
        TodayNote("soon", "visit", 1, T + timedelta(hours=1)),
        TodayNote("nothing", "no visits", 0, T),
    ]
    ordered = sorted(notes, key=urgency)
    assert [n.endpoint for n in ordered] == ["soon", "later", "undated", "info", "nothing"]


def _guide_world(app):
    with app.app_context():
        org = build_org()
        guide = db.session.get(Guide, org.ga)
        on_air = gen_campaign("store", [guide.store_id], live_in_days=-0.01, name="正在播的直播")
        on_air.status = "live"
        coming = gen_campaign("store", [guide.store_id], live_in_days=1, name="明晚的直播")
        db.session.add(
            ChecklistItem(
                campaign_id=coming.id,
                kind="question",
                title="金价",
                expected_answer="598.5",
            )
        )
        customer = gen_customer(
            guide.franchisee_id, nickname="安琪", guide_id=guide.id, store_id=guide.store_id
        )
        for _ in range(2):
            order = gen_order(
                customer, store_id=guide.store_id, guide_id=guide.id, status="paid", paid_fen=12345
            )
            order.paid_at = utcnow()
        customer.order_count = 0  # the stored counter lags (refreshed by a job)
        db.session.commit()
        return org, coming.id, customer.id


def test_today_the_training_before_a_coming_live_comes_first(app, client):
    _org, _coming, _customer = _guide_world(app)
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/").get_data(as_text=True)
    live = re.search(r'data-endpoint="livestream_guide.campaigns">(.*?)</a>', html, re.S)
    note = re.search(r'class="m-note">([^<]*)<', live.group(1)).group(1)
    assert "明晚的直播" in note and "正在直播" in note
    assert note.index("明晚的直播") < note.index("正在直播")


def test_more_is_a_menu_and_redeem_has_a_tab(app, client):
    _guide_world(app)
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/customers").get_data(as_text=True)
    bar = html.split('class="m-tabs"', 1)[1]
    tabs, menu = bar.split('id="more-menu"', 1)
    assert "/m/coupons" in tabs or "redeem" in tabs
    assert "<details" in tabs[-200:] and 'role="menu"' in menu
    assert 'role="menuitem"' in menu and "#more" not in bar


def test_numeric_answers_open_a_numeric_keypad(app, client):
    _org, coming, _customer = _guide_world(app)
    login(client, "guide-a", path="/m/login")
    html = client.get(f"/m/live/{coming}/checklist").get_data(as_text=True)
    assert 'inputmode="decimal"' in html


def test_customer_figures_agree(app, client):
    _org, _coming, customer_id = _guide_world(app)
    login(client, "guide-a", path="/m/login")
    html = client.get(f"/m/customers/{customer_id}").get_data(as_text=True)
    assert '<dd id="order-count">2</dd>' in html
