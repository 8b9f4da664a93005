"""The emulator applies the corp's receiving-limit policy at confirmation (WeCom doc 92135:
as many a calendar month as the month has days, or 7 a week, or 1 a day; status 3 at the
limit), and a policy change never plans more than the new policy allows: sends already
with the guides count as used, the rest move or are missed, and what WeCom refuses reads
back as missed with its status."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from sqlalchemy import select

from app import outbox
from app.clock import shanghai_day
from app.extensions import db
from app.wechat import wecom
from community.models import ALLOCATED, SendBatch, SlotAllocation
from community.services import delivery, planner, receiving_limit, schedule
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.fixtures.sandbox import sandbox_fixture

sandbox = sandbox_fixture(restore_flags=("receiving_limit",))


def _confirm_one(sandbox, client, chat_id: str) -> int:
    """A send to ``chat_id`` made and confirmed in the emulator; WeCom's status for it."""
    if chat_id not in sandbox.data["groups"]:
        sandbox.create_groups([{"chat_id": chat_id, "owner": "ann"}])
    body = wecom.group_send_body("ann", [chat_id], "x", [])
    msgid = wecom.add_msg_template(body)["msgid"]
    assert client.post(f"/_sandbox/control/tasks/{msgid}/confirm").status_code == 200
    return sandbox.data["tasks"][msgid]["results"][chat_id]["status"]


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [("day", 1), ("week", 7), ("month", None)],
)
def test_emulator_answers_status_3_at_the_configured_limit(ctx, sandbox, client, policy, allowed):
    flags = client.post("/_sandbox/control/flags", json={"receiving_limit": policy})
    assert flags.status_code == 200
    chat_id = f"wrLIMIT{policy}"
    today = date.fromisoformat(sandbox.today())
    if allowed is None:  # month: as many as the month has days
        allowed = calendar.monthrange(today.year, today.month)[1]
    sandbox.data["quota"][f"{chat_id}|{today.isoformat()}"] = allowed - 1
    assert _confirm_one(sandbox, client, chat_id) == 1
    assert _confirm_one(sandbox, client, chat_id) == 3
    bad = client.post("/_sandbox/control/flags", json={"receiving_limit": "hour"})
    assert bad.status_code == 422 and "receiving_limit" in bad.get_json()["errors"]


def test_a_stricter_policy_never_plans_past_sends_with_the_guides(ctx, org, sandbox, client):
    ann = db.session.get(Guide, org.ga)
    groups = [gen_wgroup(ann, sandbox=sandbox) for _ in range(2)]
    first = gen_plan(gen_post(text="一"), priority=80)
    second = gen_plan(gen_post(text="二"), priority=50)
    receiving_limit.update("month", 2)
    today = shanghai_day()
    planner.replan(today)
    on_today = select(SlotAllocation).where(
        SlotAllocation.day == today, SlotAllocation.status == ALLOCATED
    )
    assert {r.plan_id for r in ctx_rows(on_today)} == {first.id, second.id}
    delivery.create_batches(today)  # both posts are now with Ann, not yet confirmed
    assert outbox.drain() == 2
    receiving_limit.update("day")  # the admin tightened the rule meanwhile
    planner.replan(today)
    for g in groups:  # the rest of the horizon holds one a day around what is pending
        rows = ctx_rows(select(SlotAllocation).where(SlotAllocation.group_id == g.id))
        placed = [r.day for r in rows if r.status == ALLOCATED and r.batch_id is None]
        assert today not in placed and len(placed) == len(set(placed))
    sandbox.data["flags"]["receiving_limit"] = "day"  # WeCom itself refuses the second
    for batch in ctx_rows(select(SendBatch).order_by(SendBatch.id)):
        assert client.post(f"/_sandbox/control/tasks/{batch.msgid}/confirm").status_code == 200
    delivery.read_back(today)
    hq = schedule_items(today, groups[0].id)
    assert sorted(i["status"] for i in hq) == ["missed", "sent"]
    assert any(i["reason"] == "WeCom: receiving limit reached (status 3)" for i in hq)


def ctx_rows(stmt):
    db.session.expire_all()
    return db.session.scalars(stmt).all()


def schedule_items(day, group_id):
    stmt = schedule.rows_stmt(day, day).where(SlotAllocation.group_id == group_id)
    return [schedule.item(row) for row in db.session.execute(stmt)]
