"""A REAL process kill: ``flask outbox run`` as a subprocess (same database, the WeCom
sandbox of the live test server over HTTP) is SIGKILLed in the middle of a day's batches
(while calls are slowed by a sandbox delay), then a second dispatcher finishes the work
after the lease lapses. Twice: claiming one row at a time (killed after the first tasks
were recorded), and claiming the whole day as one chunk, whose msgids are recorded
together after its last call — so the kill leaves tasks WeCom made and nobody recorded.

What must hold: every batch ends with exactly one recorded msgid (nothing lost), every
allocated group is in exactly one recorded task, and after the guides confirm every task
WeCom delivered exactly one message per group. A call that WeCom carried out but whose
msgid was not yet committed when the process died is found by the retry
(``get_groupmsg_list_v2``) and adopted: WeCom holds no task that nobody recorded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.clock import shanghai_day
from app.extensions import db
from community.models import SendBatch, SlotAllocation
from community.services import allocation, delivery
from tests.community.factories_delivery import gen_guides_with_groups, gen_plan, gen_post

ROOT = Path(__file__).resolve().parents[2]
GUIDES = 8


def _dispatcher(app, live_server, *args, batch_size: int = 1):
    env = dict(os.environ)
    env.update(
        SIYU_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SIYU_SANDBOX_URL=live_server,
        SIYU_SANDBOX_MOUNT="0",
        SIYU_OUTBOX_LEASE_SECONDS="2",
        SIYU_OUTBOX_BATCH_SIZE=str(batch_size),
        SIYU_ENV="embedded",
        SIYU_SECRET_KEY="kill-test",
    )
    if app.config.get("REDIS_URL"):
        env["SIYU_REDIS_URL"] = app.config["REDIS_URL"]
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "run", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _recorded(app) -> int:
    with app.app_context():
        n = db.session.scalar(
            select(func.count()).select_from(SendBatch).where(SendBatch.msgid.is_not(None))
        )
        db.session.remove()
        return n


def _world(app, sandbox) -> None:
    """GUIDES guides with two groups each, one plan, today's batches made (one a guide)."""
    with app.app_context():
        gen_guides_with_groups([f"kill{i}" for i in range(GUIDES)], 2, sandbox=sandbox)
        gen_plan(gen_post(title="保养提醒"))
        day = shanghai_day()
        allocation.allocate(day)
        assert delivery.create_batches(day)["batches"] == GUIDES
    # calls 2..GUIDES take 1.5 s each in the sandbox, so the kill lands mid-run
    sandbox.add_fault("externalcontact/add_msg_template", {"delay_seconds": 1.5, "count": GUIDES})
    sandbox.faults["externalcontact/add_msg_template"].insert(0, {"count": 1})


def _kill_when(proc, reached) -> None:
    """SIGKILL ``proc`` 0.7 s after ``reached()`` holds (inside the next, slowed call)."""
    try:
        deadline = time.monotonic() + 60
        while not reached() and time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(proc.stdout.read().decode()[-3000:])
            time.sleep(0.1)
        time.sleep(0.7)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()


def _finish_and_check(app, live_server, sandbox) -> None:
    """A second dispatcher after the lease; then every batch has exactly one msgid, WeCom
    holds no task nobody recorded, and each group receives exactly one message."""
    sandbox.faults.pop("externalcontact/add_msg_template", None)
    time.sleep(2.5)  # the dead dispatcher's lease lapses
    second = _dispatcher(app, live_server, "--once")
    output = second.communicate(timeout=60)[0].decode()
    assert second.returncode == 0, output[-3000:]
    with app.app_context():
        batches = db.session.scalars(select(SendBatch)).all()
        assert len(batches) == GUIDES and all(b.msgid for b in batches)
        assert len({b.msgid for b in batches}) == GUIDES
        recorded = {b.msgid for b in batches}
        allocated = db.session.scalar(
            select(func.count())
            .select_from(SlotAllocation)
            .where(SlotAllocation.status == "allocated")
        )
        chats_in_recorded = [c for m in recorded for c in sandbox.data["tasks"][m]["results"]]
        assert len(chats_in_recorded) == len(set(chats_in_recorded)) == allocated == 2 * GUIDES
        # a task WeCom made just before the kill was adopted by the retry, not made again
        assert set(sandbox.data["tasks"]) == recorded
        for msgid in recorded:
            sandbox.confirm_task(msgid)
        received = [
            chat
            for t in sandbox.data["tasks"].values()
            for chat, r in t["results"].items()
            if r["status"] == 1
        ]
        assert len(received) == len(set(received)) == 2 * GUIDES
        db.session.remove()


@pytest.mark.slow
def test_killing_the_dispatcher_mid_batch_loses_and_duplicates_nothing(app, live_server):
    from app.wechat.sandbox import sandbox_state

    sandbox = sandbox_state(app)
    _world(app, sandbox)
    proc = _dispatcher(app, live_server)
    _kill_when(proc, lambda: _recorded(app) >= 2)
    killed_at = _recorded(app)
    assert 2 <= killed_at < GUIDES, "the kill must land mid-batch"
    _finish_and_check(app, live_server, sandbox)


@pytest.mark.slow
def test_killing_the_dispatcher_mid_chunk_adopts_every_unrecorded_task(app, live_server):
    """The whole day is one claimed chunk: the kill lands after WeCom made some tasks and
    before any msgid was recorded; the retry adopts each of them and makes the rest."""
    from app.wechat.sandbox import sandbox_state

    sandbox = sandbox_state(app)
    _world(app, sandbox)
    proc = _dispatcher(app, live_server, batch_size=GUIDES)
    _kill_when(proc, lambda: len(sandbox.data["tasks"]) >= 2)
    made = len(sandbox.data["tasks"])
    assert _recorded(app) == 0 and 2 <= made < GUIDES, "the kill must land mid-chunk"
    _finish_and_check(app, live_server, sandbox)
