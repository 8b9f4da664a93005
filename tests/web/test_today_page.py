"""The guide's Today page (``/m/``): what waits on each tab, counted for the guide only.

Franchise A's guide has two sends to confirm and one sent, a care reminder to do by
hand, an order to hand over, a visit booked, a paid order today and a live in two days
with one of two checklist items done; franchise B's guide has the same kinds of things,
which must not be counted or named on A's page.
"""

from __future__ import annotations

import re

import pytest

from app.clock import utcnow
from app.extensions import db
from community.models import CareTask, SendBatch
from franchise.models import Appointment, Guide
from livestream.models import TrainingProgress
from tests.fixtures.auth import PASSWORD, login
from tests.franchise.factories import build_org
from tests.livestream.factories import gen_campaign


def _cards(html: str) -> dict[str, tuple[str, str]]:
    """``{endpoint: (count shown or "", note)}`` of the page's cards, in page order."""
    cards = {}
    for endpoint, body in re.findall(r'data-endpoint="([^"]+)">(.*?)</a>', html, re.S):
        count = re.search(r'class="m-count"[^>]*>(\d+)<', body)
        note = re.search(r'class="m-note">([^<]*)<', body)
        cards[endpoint] = (count.group(1) if count else "", note.group(1).strip() if note else "")
    return cards


def test_today_counts_what_waits_for_the_guide(client, world):
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/?lang=en").get_data(as_text=True)
    assert "BETA-SECRET" not in html
    # 2 sends to confirm + 1 care by hand + 1 hand-over + 1 visit + 1 live to train for
    assert 'data-count="6"' in html
    assert "6 things need you today." in html
    cards = _cards(html)
    assert cards["community_tasks.tasks"] == ("2", "2 to confirm in WeCom")
    assert cards["community_care.care"] == ("1", "1 to do by hand")
    assert cards["guide_orders.orders"] == ("1", "1 order to hand over")
    assert cards["franchise_guide_customers.appointments"][0] == "1"
    assert cards["franchise_guide_customers.appointments"][1].startswith("1 visit today, next at")
    assert cards["guide_results.results"] == ("", "¥888.00, 2 orders today")
    assert cards["livestream_guide.campaigns"][0] == "1"
    assert cards["livestream_guide.campaigns"][1].startswith("Training 1/2 for Alpha live, live ")
    # What waits comes first, information after.
    order = list(cards)
    waiting = [e for e in order if cards[e][0]]
    assert order[: len(waiting)] == waiting
    assert "guide_results.results" not in waiting


def test_today_in_chinese_and_when_all_is_done(client, app, world):
    with app.app_context():
        db.session.query(SendBatch).filter_by(guide_id=world.ga).update({"status": "sent"})
        db.session.query(CareTask).filter_by(guide_id=world.ga).update({"status": "done"})
        db.session.query(Appointment).filter_by(store_id=world.sa).update({"status": "cancelled"})
        for progress in db.session.query(TrainingProgress).filter_by(guide_id=world.ga):
            progress.completed_at = utcnow()
        db.session.commit()
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/").get_data(as_text=True)
    cards = _cards(html)
    assert cards["community_tasks.tasks"] == ("", "3 条已全部发送")
    assert cards["livestream_guide.campaigns"][0] == ""
    assert cards["livestream_guide.campaigns"][1].startswith("已完成「Alpha live」的培训")
    assert 'data-count="1"' in html  # the order still to hand over


def test_today_for_a_new_guide_says_nothing_waits(client, app):
    with app.app_context():
        build_org()
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/?lang=en").get_data(as_text=True)
    assert 'data-count="0"' in html and "Nothing waits for you right now." in html
    cards = _cards(html)
    assert cards["community_tasks.tasks"] == ("", "Nothing to send today.")
    assert cards["livestream_guide.campaigns"] == ("", "No live coming up")
    assert cards["guide_results.results"] == ("", "¥0.00, 0 orders today")


@pytest.mark.browser
def test_today_on_a_phone(world, live_server, phone_page):
    from tests.fixtures.browser import browser_login, screenshot

    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.wait_for_selector("#waiting")
    assert page.locator("#waiting").get_attribute("data-count") == "6"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    first = page.locator(".m-card").first
    assert first.locator(".m-count").count() == 1  # what waits comes first
    sends = page.locator(".m-card[data-endpoint='community_tasks.tasks']")
    assert "2 条待在企业微信确认" in sends.inner_text()
    screenshot(page, "mobile_today")
    sends.click()
    page.wait_for_url("**/m/tasks")


def test_today_is_two_statements(client, app, world):
    """The session's account, then every tab's figures (the care line's count among them)
    with the coming lives' rows joined to them (one statement, ``app.web.today``): two
    round trips a view."""
    from tests.fixtures.statements import statements

    login(client, "guide-a", path="/m/login")
    client.get("/m/")
    with app.app_context(), statements() as seen:
        html = client.get("/m/?lang=en").get_data(as_text=True)
    assert "6 things need you today." in html and "No piece due for care" in html
    assert len(seen) == 2, seen
    assert sum("care_interval_days" in statement for statement in seen) == 1


def test_today_live_rows_come_with_the_figures_in_order(client, app, world):
    """The coming lives arrive joined to the figures' row (``app.web.today.TodayRows``),
    nearest first: a live on air now is named after the one to train for; one that has
    ended is not; the figures of the other tabs are unchanged by the extra rows."""
    from livestream.models import Campaign

    with app.app_context():
        guide = db.session.get(Guide, world.ga)
        for name, days, minutes in (("Over", -0.3, 60), ("On air", -0.01, 120), ("Later", 5, 60)):
            gen_campaign(
                "store", [guide.store_id], live_in_days=days, name=name, duration_minutes=minutes
            )
        db.session.commit()
        lives = db.session.query(Campaign).count()
    login(client, "guide-a", path="/m/login")
    cards = _cards(client.get("/m/?lang=en").get_data(as_text=True))
    note = cards["livestream_guide.campaigns"]
    # "Alpha live" (2 days) is nearer than "Later" (5 days); both untrained (no items for
    # "Later": 0/0 is not complete either), "On air" is on air, "Over" ended.
    assert note[0] == "2"
    assert note[1].startswith("Training 1/2 for Alpha live, live ")
    assert note[1].endswith(" · On air now: On air")
    assert "Over" not in note[1] and lives == 5
    assert cards["community_tasks.tasks"] == ("2", "2 to confirm in WeCom")
    assert cards["guide_results.results"] == ("", "¥888.00, 2 orders today")
