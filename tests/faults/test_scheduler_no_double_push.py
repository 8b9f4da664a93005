"""kill -9 the leader scheduler while a day's group sends are in flight: no push is sent
twice, none is skipped.

Two real ``flask scheduler run`` processes (PostgreSQL, a throwaway Redis) run the
delivery jobs every second (``SIYU_SCHEDULER_JOB_INTERVALS``): ``community.allocate``
(again and again: idempotent), ``community.dispatch_due`` (send batches + outbox rows for
the slots whose send time has come) and ``community.delivery_readback``. One ``flask outbox
run`` dispatcher carries the batches to the WeCom sandbox of the live test server over HTTP.
The slots' send times are staggered over ~16 s, so batching is still going on when the
leader is SIGKILLed; the standby takes over within the lease and finishes the day.

What must hold: every allocated group is in exactly one send batch with one recorded msgid
and in exactly one sandbox task; after the guides confirm every task (sandbox control API)
each group received exactly one message, and the standby's readback records every group
as sent.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
import requests
from sqlalchemy import func, select, update

from app.clock import shanghai_day
from app.extensions import db
from app.scheduler import LEADER_KEY
from community.models import GroupDelivery, SendBatch, SlotAllocation
from community.services import allocation
from tests.community.factories_delivery import gen_guides_with_groups, gen_plan, gen_post
from tests.fixtures.processes import flask_env, kill, spawn, wait_until

LEASE = 3
GUIDES = 12
GROUPS_PER_GUIDE = 2
STAGGER = 1.5  # seconds between two guides' send times
JOBS = "community.allocate=1,community.dispatch_due=1,community.delivery_readback=1"


def _wait_out_midnight() -> None:
    """The day must not change under the test (Asia/Shanghai midnight)."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    left = (now.replace(hour=23, minute=59, second=59) - now).total_seconds()
    if left < 90:
        time.sleep(left + 2)


def _scalar(app, stmt):
    with app.app_context():
        try:
            return db.session.scalar(stmt)
        finally:
            db.session.remove()


def _setup(app, sandbox) -> tuple:
    """Guides with groups (DB + sandbox), one plan, today allocated with nothing due yet."""
    with app.app_context():
        userids = [f"nodbl{i:02d}" for i in range(GUIDES)]
        gen_guides_with_groups(userids, GROUPS_PER_GUIDE, sandbox=sandbox)
        gen_plan(gen_post(title="新品到店", text="古法金新品到店"), send_time="00:00")
        day = shanghai_day()
        assert allocation.allocate(day)["allocated"] == GUIDES * GROUPS_PER_GUIDE
        db.session.execute(
            update(SlotAllocation)
            .where(SlotAllocation.day == day)
            .values(send_at=datetime.now(UTC) + timedelta(days=1))
        )
        db.session.commit()
        db.session.remove()
    return day, userids


def _stagger(app, day, userids) -> None:
    """Guide k's slots come due at now + 1 + k * STAGGER seconds."""
    from community.models import WecomGroup

    start = datetime.now(UTC) + timedelta(seconds=1)
    with app.app_context():
        for k, userid in enumerate(userids):
            groups = select(WecomGroup.id).where(WecomGroup.owner_userid == userid)
            db.session.execute(
                update(SlotAllocation)
                .where(SlotAllocation.day == day, SlotAllocation.group_id.in_(groups))
                .values(send_at=start + timedelta(seconds=k * STAGGER))
            )
        db.session.commit()
        db.session.remove()


def test_killing_the_leader_mid_day_sends_every_push_exactly_once(
    app, live_server, redis_server, tmp_path
):
    from app.wechat.sandbox import sandbox_state

    _wait_out_midnight()
    sandbox = sandbox_state(app)
    day, userids = _setup(app, sandbox)
    total = GUIDES * GROUPS_PER_GUIDE
    env = flask_env(
        SIYU_REDIS_URL=redis_server.url,
        SIYU_SANDBOX_URL=live_server,
        SIYU_SANDBOX_MOUNT="0",
        SIYU_SCHEDULER_LEASE_SECONDS=LEASE,
        SIYU_SCHEDULER_JOB_INTERVALS=JOBS,
        SIYU_OUTBOX_LEASE_SECONDS=5,
    )
    lead = redis.Redis.from_url(redis_server.url)
    procs = [spawn(["scheduler", "run"], env, tmp_path / f"scheduler-{i}.log") for i in (1, 2)]
    dispatcher = spawn(["outbox", "run"], env, tmp_path / "dispatcher.log")

    def logs() -> str:
        """The processes' logs, for failure messages."""
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(tmp_path.glob("*.log"))
        )

    try:
        assert wait_until(lambda: lead.get(LEADER_KEY) is not None, 20), logs()
        holder = lead.get(LEADER_KEY).decode()
        leader = next(p for p in procs if f":{p.pid}:" in holder)
        standby = next(p for p in procs if p is not leader)
        _stagger(app, day, userids)
        batches = select(func.count()).select_from(SendBatch).where(SendBatch.day == day)
        assert wait_until(lambda: _scalar(app, batches) >= 3, 15), logs()
        kill(leader)  # SIGKILL: no clean release of the lease, work half done
        at_kill = _scalar(app, batches)
        assert at_kill < GUIDES, "the kill must land while batching is still going on"
        assert wait_until(
            lambda: f":{standby.pid}:" in (lead.get(LEADER_KEY) or b"").decode(), LEASE + 5
        ), logs()

        recorded = (
            select(func.count())
            .select_from(SlotAllocation)
            .join(SendBatch, SendBatch.id == SlotAllocation.batch_id)
            .where(SlotAllocation.day == day, SendBatch.msgid.is_not(None))
        )
        assert wait_until(lambda: _scalar(app, recorded) == total, 30), logs()
        assert standby.poll() is None and dispatcher.poll() is None, logs()

        with app.app_context():
            rows = db.session.scalars(select(SendBatch).where(SendBatch.day == day)).all()
            msgids = [b.msgid for b in rows]
            assert all(msgids) and len(set(msgids)) == len(rows)
            slots = db.session.scalars(
                select(SlotAllocation).where(SlotAllocation.day == day)
            ).all()
            assert len(slots) == total and all(s.status == "allocated" for s in slots)
            assert all(s.batch_id for s in slots)  # none skipped
            per_group = db.session.execute(
                select(GroupDelivery.group_id, func.count())
                .where(GroupDelivery.day == day)
                .group_by(GroupDelivery.group_id)
            ).all()
            assert len(per_group) == total and {n for _, n in per_group} == {1}
            in_batches = [c for b in rows for c in b.chat_ids]
            assert len(in_batches) == len(set(in_batches)) == total
            db.session.remove()

        # the sandbox holds exactly the recorded tasks, each group in one of them
        tasks = {
            m: requests.get(f"{live_server}/_sandbox/control/tasks/{m}", timeout=5) for m in msgids
        }
        assert {r.status_code for r in tasks.values()} == {200}
        assert set(sandbox.data["tasks"]) == set(msgids), "a task nobody recorded"
        in_tasks = [c for r in tasks.values() for c in r.json()["results"]]
        assert len(in_tasks) == len(set(in_tasks)) == total
        # the guides confirm every task; WeCom delivers at most one message per group
        for msgid in msgids:
            answer = requests.post(
                f"{live_server}/_sandbox/control/tasks/{msgid}/confirm", timeout=5
            )
            assert answer.status_code == 200, answer.text
        received = [
            chat
            for m in msgids
            for chat, r in requests.get(f"{live_server}/_sandbox/control/tasks/{m}", timeout=5)
            .json()["results"]
            .items()
            if r["status"] == 1
        ]
        assert len(received) == len(set(received)) == total
        # the standby's readback job records every group as sent, none missing
        sent = (
            select(func.count())
            .select_from(GroupDelivery)
            .where(GroupDelivery.day == day, GroupDelivery.status == "sent")
        )
        assert wait_until(lambda: _scalar(app, sent) == total, 15), logs()
    finally:
        for proc in (*procs, dispatcher):
            kill(proc)


@pytest.fixture(autouse=True)
def _sandbox_clean(app):
    yield
    from app.wechat.sandbox import sandbox_state

    sandbox_state(app).faults.clear()
