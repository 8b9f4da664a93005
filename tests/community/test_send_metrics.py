"""Push send figures: allocating fills ``sends_planned``, reading back fills ``sends_done``
(both recomputed, so reruns change nothing), and the stage rule reads the send rate."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import outbox
from app.clock import shanghai_day
from app.extensions import db
from community.models import GroupDailyMetric, SlotAllocation
from community.services import allocation, delivery, stages
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup


def metrics(day):
    rows = db.session.scalars(select(GroupDailyMetric).where(GroupDailyMetric.day == day))
    return {m.group_id: (m.sends_planned, m.sends_done, m.member_count) for m in rows}


def test_allocate_deliver_read_back_fill_the_send_figures(ctx, org, sandbox, client, monkeypatch):
    ann = db.session.get(Guide, org.ga)
    groups = [gen_wgroup(ann, sandbox=sandbox) for _ in range(3)]
    orphan = gen_wgroup(None)  # no guide: its post waits, nothing planned
    gen_plan(gen_post(), priority=80)
    gen_plan(gen_post(), priority=10)
    day = shanghai_day()
    # an existing metric row (joins counted by a callback) keeps its other figures
    db.session.add(GroupDailyMetric(group_id=groups[1].id, day=day, joins=4, member_count=22))
    db.session.commit()

    allocation.allocate(day)
    allocation.allocate(day)  # a rerun recomputes, never adds
    db.session.expire_all()
    got = metrics(day)
    assert got[groups[0].id] == (1, 0, 20)  # created with the group's size
    assert got[groups[1].id] == (1, 0, 22)
    assert got[groups[2].id] == (1, 0, 20)
    assert orphan.id not in got
    assert db.session.get(GroupDailyMetric, _metric_id(groups[1].id, day)).joins == 4
    waiting = db.session.scalars(
        select(SlotAllocation).where(SlotAllocation.status.in_(("waiting", "missed")))
    )
    assert len(list(waiting)) == 5  # 3 lost to quota (deferred), 2 without a guide (missed)

    sandbox.data["flags"]["receiving_limit"] = "day"  # the corp's admin chose 1 a day
    sandbox.data["quota"][f"{groups[0].chat_id}|{sandbox.today()}"] = 1  # quota used
    delivery.create_batches(day)
    assert outbox.drain() == 1
    db.session.expire_all()
    assert {g: v[1] for g, v in metrics(day).items()} == {g.id: 0 for g in groups}
    (msgid,) = list(sandbox.data["tasks"])
    assert client.post(f"/_sandbox/control/tasks/{msgid}/confirm").status_code == 200
    assert delivery.read_back(day) == {"checked": 1, "confirmed": 1}
    db.session.expire_all()
    got = metrics(day)
    assert got[groups[0].id][:2] == (1, 0)
    assert got[groups[1].id][:2] == (1, 1)
    assert got[groups[2].id][:2] == (1, 1)

    # today is not finished: its sends do not count yet
    assert stages.group_figures(db.session.get(type(groups[1]), groups[1].id))["send_rate"] == 0
    # the next day, the stage rule sees the rate
    monkeypatch.setattr(stages, "shanghai_day", lambda: day + timedelta(days=1))
    figures = stages.group_figures(db.session.get(type(groups[1]), groups[1].id))
    assert figures["sends_planned"] == 1 and figures["sends_done"] == 1
    assert figures["send_rate"] == 1.0
    (rate,) = [
        c
        for c in stages.check("benchmark", figures, stages.stage_rules())
        if c["figure"] == "send_rate"
    ]
    assert rate["ok"] is True
    missed = stages.group_figures(db.session.get(type(groups[0]), groups[0].id))
    assert missed["send_rate"] == 0.0 and missed["sends_planned"] == 1


def _metric_id(group_id, day):
    return db.session.scalar(
        select(GroupDailyMetric.id).where(
            GroupDailyMetric.group_id == group_id, GroupDailyMetric.day == day
        )
    )
