"""The outbox: dedupe on enqueue, lease-based claims, retries with back-off, dead letters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import outbox
from app.clock import utcnow
from app.extensions import db, registry
from app.outbox import DEAD, DONE, IN_FLIGHT, PENDING, OutboxMessage, enqueue


@pytest.fixture
def calls(app):
    seen: list[dict] = []
    handlers = registry(app).outbox_handlers

    def ok(message):
        seen.append(message.payload)
        return {"echo": message.payload.get("n")}

    def flaky(message):
        seen.append(message.payload)
        if message.attempts < 3:
            raise outbox.RetryLater("not yet", delay=0)

    def hopeless(message):
        raise outbox.GiveUp("never")

    handlers.update({"test.ok": ok, "test.flaky": flaky, "test.hopeless": hopeless})
    yield seen
    for kind in ("test.ok", "test.flaky", "test.hopeless"):
        handlers.pop(kind, None)


def _rows():
    return {m.dedupe_key: m for m in db.session.scalars(select(OutboxMessage))}


def test_enqueue_dedupes_and_dispatch_runs_once(ctx, calls):
    outbox.enqueue("test.ok", {"n": 1}, "k1")
    outbox.enqueue("test.ok", {"n": 1}, "k1")
    outbox.enqueue("test.ok", {"n": 2}, "k2")
    db.session.commit()
    assert outbox.drain() == 2
    assert sorted(c["n"] for c in calls) == [1, 2]
    rows = _rows()
    assert rows["k1"].status == DONE and rows["k1"].result == {"echo": 1}
    assert outbox.drain() == 0  # nothing runs twice


def test_uncommitted_work_is_not_dispatched(ctx, calls):
    outbox.enqueue("test.ok", {"n": 1}, "k1")
    db.session.rollback()
    assert outbox.drain() == 0 and calls == []


def test_retry_then_success(ctx, calls):
    outbox.enqueue("test.flaky", {"n": 1}, "f1")
    db.session.commit()
    for _ in range(5):
        outbox.dispatch_once()
    row = _rows()["f1"]
    assert row.status == DONE and row.attempts == 3 and len(calls) == 3


def test_give_up_marks_dead(ctx, calls):
    outbox.enqueue("test.hopeless", {}, "h1")
    db.session.commit()
    outbox.drain()
    row = _rows()["h1"]
    assert row.status == DEAD and "never" in row.last_error


def test_unknown_kind_is_dead_not_lost(ctx):
    outbox.enqueue("test.unknown", {}, "u1")
    db.session.commit()
    outbox.drain()
    assert _rows()["u1"].status == DEAD


def test_lapsed_lease_is_taken_again(ctx, calls):
    """A dispatcher that died mid-call leaves the row in flight; it is retried after the lease."""
    outbox.enqueue("test.ok", {"n": 7}, "l1")
    db.session.commit()
    ids = outbox.claim_batch(10, lease_seconds=60)
    assert len(ids) == 1 and _rows()["l1"].status == IN_FLIGHT
    # while the lease holds nobody else takes it
    assert outbox.claim_batch(10, lease_seconds=60) == []
    db.session.execute(update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert outbox.drain() == 1
    row = _rows()["l1"]
    assert row.status == DONE and row.attempts == 2


def test_backoff_grows_and_caps():
    assert outbox.backoff_seconds(1) == 2
    assert outbox.backoff_seconds(3) == 8
    assert outbox.backoff_seconds(30) == 600


def test_failed_row_waits_for_backoff(ctx, app):
    registry(app).outbox_handlers["test.boom"] = lambda m: (_ for _ in ()).throw(RuntimeError("x"))
    try:
        outbox.enqueue("test.boom", {}, "b1")
        db.session.commit()
        outbox.dispatch_once()
        row = _rows()["b1"]
        assert row.status == PENDING and row.attempts == 1
        assert outbox.dispatch_once() == 0  # not due yet
    finally:
        registry(app).outbox_handlers.pop("test.boom")


def test_a_batch_handler_gets_the_chunk_once_and_each_outcome_is_recorded(ctx, app):
    """A kind with a batch handler: one call with every claimed row of the kind; a result,
    a retry and a give-up recorded per row in one commit, with the handler's own writes."""
    seen: list[list[int]] = []

    def many(messages):
        seen.append([m.payload["n"] for m in messages])
        enqueue("test.after", {}, "written-by-the-handler")  # committed with the outcomes
        return [{"ok": 1}, outbox.RetryLater("busy", delay=30), outbox.GiveUp("never")]

    outbox.register_handler(app, "test.many", lambda m: None, many=many)
    try:
        for n in (1, 2, 3):
            outbox.enqueue("test.many", {"n": n}, f"m{n}")
        db.session.commit()
        assert outbox.dispatch_once() == 3
        assert seen == [[1, 2, 3]]
        rows = _rows()
        assert (rows["m1"].status, rows["m1"].result) == (DONE, {"ok": 1})
        assert rows["m2"].status == PENDING and "busy" in rows["m2"].last_error
        later = utcnow().replace(tzinfo=None) + timedelta(seconds=20)
        assert rows["m2"].available_at.replace(tzinfo=None) > later
        assert rows["m3"].status == DEAD and rows["m3"].last_error == "never"
        assert "written-by-the-handler" in rows
    finally:
        registry(app).outbox_handlers.pop("test.many", None)
        registry(app).outbox_batch_handlers.pop("test.many", None)


def test_a_batch_handler_that_raises_retries_every_row_and_writes_nothing(ctx, app):
    def broken(messages):
        enqueue("test.after", {}, "never-committed")
        raise RuntimeError("database went away")

    outbox.register_handler(app, "test.broken", lambda m: None, many=broken)
    try:
        outbox.enqueue("test.broken", {}, "b1")
        outbox.enqueue("test.broken", {}, "b2")
        db.session.commit()
        assert outbox.dispatch_once() == 2
        rows = _rows()
        assert {(rows[k].status, rows[k].attempts) for k in ("b1", "b2")} == {(PENDING, 1)}
        assert "database went away" in rows["b1"].last_error
        assert "never-committed" not in rows
    finally:
        registry(app).outbox_handlers.pop("test.broken", None)
        registry(app).outbox_batch_handlers.pop("test.broken", None)


def test_dispatcher_threads_share_the_rows_and_run_each_once(ctx, app):
    """``flask outbox run --threads 3``: on PostgreSQL three loops take rows through SKIP
    LOCKED and their calls overlap; on SQLite one loop. Either way each row runs once."""
    import threading
    import time

    from app.db import is_postgres

    ran: list[tuple[int, str]] = []

    def slow(message):
        time.sleep(0.02)  # a WeChat call's wait
        ran.append((message.payload["n"], threading.current_thread().name))

    registry(app).outbox_handlers["test.slow"] = slow
    try:
        for n in range(40):
            outbox.enqueue("test.slow", {"n": n}, f"s{n}")
        db.session.commit()
        size, app.config["OUTBOX_BATCH_SIZE"] = app.config["OUTBOX_BATCH_SIZE"], 5
        stop = threading.Event()
        runner = threading.Thread(target=outbox.run_dispatchers, args=(app, stop, 3))
        runner.start()
        try:
            assert outbox.wait_for(lambda: len(ran) >= 40, timeout=30)
        finally:
            stop.set()
            runner.join(timeout=10)
            app.config["OUTBOX_BATCH_SIZE"] = size
        assert sorted(n for n, _ in ran) == list(range(40))
        threads = {name for _, name in ran}
        assert len(threads) > 1 if is_postgres(db.engine) else len(threads) == 1
        db.session.remove()
        assert {r.status for r in _rows().values()} == {DONE}
    finally:
        registry(app).outbox_handlers.pop("test.slow", None)
