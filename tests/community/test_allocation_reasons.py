"""Waiting reasons are stored as a code plus params (and the English text for CSV/API) and
shown translated on the allocation day page; allocating inside a Chinese request still
stores English text."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.extensions import db
from community.models import SlotAllocation
from community.services import allocation
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.fixtures.auth import login

DAY = date(2026, 11, 23)


def test_codes_params_english_text_and_translated_page(app, ctx, org, client):
    guide = db.session.get(Guide, org.ga)
    seeding = gen_wgroup(guide, stage="seeding")
    cold = gen_wgroup(guide, stage="cold_start")
    orphan = gen_wgroup(None, stage="lifecycle")
    top = gen_plan(gen_post(), name="新品推送", stages=["seeding"], priority=80)
    low = gen_plan(gen_post(), name="保养知识", stages=["seeding"], priority=20, send_time="07:00")
    low.quiet_start, low.quiet_end = "22:00", "08:00"
    late = gen_plan(
        gen_post(), stages=["cold_start"], send_time="23:00", quiet_start="22:00", quiet_end="08:00"
    )
    explicit = gen_plan(gen_post(), group_ids=[orphan.id])
    db.session.commit()
    with app.test_request_context("/?lang=zh"):  # a request in Chinese: stored text stays English
        allocation.allocate(DAY)
    by = {
        (r.plan_id, r.group_id): r
        for r in db.session.scalars(select(SlotAllocation).where(SlotAllocation.day == DAY))
    }
    quota = by[(low.id, seeding.id)]
    assert (quota.status, quota.reason_code) == ("waiting", "quota_taken")
    assert quota.reason_params == {"plan": "新品推送", "priority": 80}
    assert quota.reason == "group's daily quota taken by plan 新品推送 (priority 80)"
    assert by[(top.id, seeding.id)].reason_code == ""
    quiet = by[(late.id, cold.id)]
    assert quiet.reason_code == "quiet_no_time"
    assert quiet.reason_params == {"start": "22:00", "end": "08:00"}
    assert quiet.reason == "quiet hours 22:00–08:00: no time left today"
    no_guide = by[(explicit.id, orphan.id)]
    assert (no_guide.reason_code, no_guide.reason) == (
        "no_guide",
        "group has no guide (owner not linked to a guide)",
    )

    login(client, "hq")
    url = f"/admin/allocation?day={DAY.isoformat()}&detail=1"
    html = client.get(url + "&lang=zh").get_data(as_text=True)
    assert "该群当日名额已被推送计划 新品推送 占用（优先级 80）" in html
    assert "免打扰时段 22:00–08:00：今日已无可发送时间" in html
    assert "该群没有导购（群主未关联导购）" in html
    assert "daily quota taken" not in html
    english = client.get(url + "&lang=en").get_data(as_text=True)
    assert "group&#39;s daily quota taken by plan 新品推送 (priority 80)" in english


def test_moved_out_of_quiet_hours_is_kept_on_the_allocated_slot(app, ctx, org, client):
    guide = db.session.get(Guide, org.ga)
    group = gen_wgroup(guide, stage="seeding")
    early = gen_plan(gen_post(), send_time="07:00", quiet_start="22:00", quiet_end="08:00")
    allocation.allocate(DAY)
    row = db.session.scalars(
        select(SlotAllocation).where(
            SlotAllocation.plan_id == early.id, SlotAllocation.group_id == group.id
        )
    ).one()
    assert (row.status, row.reason_code, row.reason_params) == (
        "allocated",
        "quiet_moved",
        {"time": "08:00"},
    )
    assert row.reason == "moved out of quiet hours to 08:00"
    login(client, "hq")
    html = client.get(f"/admin/allocation?day={DAY.isoformat()}&detail=1&lang=zh")
    assert "避开免打扰时段，顺延至 08:00" in html.get_data(as_text=True)
