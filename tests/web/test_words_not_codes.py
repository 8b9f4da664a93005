"""Words, not codes, on the pages the tour found codes on: a commission entry's note, the
tag rules' value tiers, the schedule's stage and segment filters, the contacts' channel."""

from __future__ import annotations

from franchise.admin.credit_display import entry_note
from tests.fixtures.auth import login
from tests.franchise.factories import build_org


def test_a_commission_note_reads_as_what_happened(app):
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert entry_note("paid") == "业绩归属前已退款"
        assert entry_note("refund12") == "退款 12"
        assert entry_note("ruling3") == entry_note("dispute 3") == "申诉 3"
        assert entry_note("直播奖励") == "直播奖励" and entry_note(None) == ""


def test_tag_rules_and_schedule_filters_show_words(app, client):
    from community.services import tags as tag_library

    with app.app_context():
        build_org()
        tag_library.create_group("价值", ["高净值"])
    login(client, "hq")
    tags = client.get("/admin/tags?lang=zh").get_data(as_text=True)
    assert "价值分层：高价值" in tags and "价值分层：high" not in tags
    schedule = client.get("/admin/schedule?lang=en").get_data(as_text=True)
    assert ">Cold start<" in schedule and ">cold_start<" not in schedule
    contacts = client.get("/admin/contacts?lang=zh").get_data(as_text=True)
    assert "（state）" not in contacts


def test_points_words(app):
    from app.web.labels import label

    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert label("signup", "points_event") == "注册入会"
        assert label("carrier", "points_account") == "发放积分（承担方）"
        assert label("SO-2026-1", "points_event") == "SO-2026-1"  # an order number stays
