"""The outbox: durable work rows written in the same transaction as the decision, and
the dispatcher loop that carries them out after commit (``flask outbox run``).

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (one dispatcher on
SQLite). A claim is a lease: the row is marked ``in_flight`` with ``lease_until`` and
committed before the handler runs, so no transaction stays open while WeChat is called.
A dispatcher killed mid-call leaves the row ``in_flight``; when the lease lapses another
dispatcher takes it again with ``attempts`` > 1, and the handler (which knows its kind
of work) checks whether the effect already happened before doing it again.

Handlers are registered per ``kind`` by domains: ``handler(message) -> None``; raising
``RetryLater`` (or any error) schedules a retry with back-off; ``GiveUp`` marks it dead.
A kind may also have a batch handler that takes a claimed chunk's rows of that kind at
once (``register_handler(..., many=...)``: the group sends, so a day's 10,000 calls are
not 10,000 × three commits). Every outcome of a chunk is recorded in one transaction.
This module must never call WeChat itself, nor hold a row lock across a handler call.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import JSON, String, Text, bindparam, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.db import committing, insert_ignoring, is_postgres
from app.extensions import Model, db, registry

log = logging.getLogger("siyu.outbox")

PENDING, IN_FLIGHT, DONE, DEAD = "pending", "in_flight", "done", "dead"
MAX_ATTEMPTS = 12


class RetryLater(Exception):
    """The handler could not finish now; try again after ``delay`` seconds."""

    def __init__(self, message: str = "", delay: float | None = None):
        super().__init__(message)
        self.delay = delay


class GiveUp(Exception):
    """The work can never succeed; mark the row dead with this reason."""


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(191), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]

    __table_args__ = (db.Index("ix_outbox_messages_due", "status", "available_at"),)


def enqueue(kind: str, payload: dict, dedupe_key: str, *, delay_seconds: float = 0) -> None:
    """Add work to the caller's open transaction; a repeated ``dedupe_key`` does nothing.

    The caller (a service) commits; the row becomes visible to dispatchers only then.
    """
    enqueue_many(kind, [(payload, dedupe_key)], delay_seconds=delay_seconds)


def mark_done(dedupe_key: str, result: dict | None = None) -> None:
    """Mark the message of ``dedupe_key`` done in the caller's transaction (no commit):
    its work was done another way (by hand, say), so no dispatcher runs it again."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedupe_key == dedupe_key, OutboxMessage.status != DONE)
        .values(status=DONE, done_at=utcnow(), lease_until=None, last_error=None, result=result)
    )


def enqueue_many(kind: str, items: list[tuple[dict, str]], *, delay_seconds: float = 0) -> None:
    """``enqueue`` for many ``(payload, dedupe_key)`` pairs in one statement."""
    if not items:
        return
    now = utcnow()
    due = now + timedelta(seconds=delay_seconds)
    rows = [
        {
            "kind": kind,
            "dedupe_key": key,
            "payload": payload,
            "status": PENDING,
            "attempts": 0,
            "available_at": due,
            "created_at": now,
        }
        for payload, key in items
    ]
    db.session.execute(insert_ignoring(db.engine, OutboxMessage, "dedupe_key"), rows)


def backoff_seconds(attempts: int) -> float:
    """Exponential back-off: 2, 4, 8 ... seconds, capped at ten minutes."""
    return float(min(600, 2 ** max(1, attempts)))


def claim(limit: int, lease_seconds: int) -> list[OutboxMessage]:
    """Claim due rows (pending, or in flight with a lapsed lease), commit the lease, and
    return the rows as claimed (detached from the session: reading them costs nothing)."""
    now = utcnow()
    stmt = (
        select(OutboxMessage.id)
        .where(
            or_(
                (OutboxMessage.status == PENDING) & (OutboxMessage.available_at <= now),
                (OutboxMessage.status == IN_FLIGHT) & (OutboxMessage.lease_until < now),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(db.engine):
        stmt = stmt.with_for_update(skip_locked=True)
    messages: list[OutboxMessage] = []
    with committing(db.session):
        ids = list(db.session.scalars(stmt))
        if ids:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(
                    status=IN_FLIGHT,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=OutboxMessage.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            messages = list(
                db.session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids))
                    .order_by(OutboxMessage.id)
                    .execution_options(populate_existing=True)
                )
            )
            for message in messages:
                db.session.expunge(message)
    return messages


def claim_batch(limit: int, lease_seconds: int) -> list[int]:
    """``claim``, returning the claimed rows' ids."""
    return [message.id for message in claim(limit, lease_seconds)]


def _run_one(message: OutboxMessage) -> Any:
    """The handler's result for one claimed row, or the exception it ended with (its
    uncommitted writes rolled back)."""
    handler = registry().outbox_handlers.get(message.kind)
    if handler is None:
        return GiveUp(f"no handler for kind {message.kind!r}")
    try:
        result = handler(message)
        db.session.commit()  # no transaction left open across the next handler's call
        return result
    except Exception as exc:  # noqa: BLE001 - recorded as the row's outcome
        db.session.rollback()
        return exc


def _run_many(handler, messages: list[OutboxMessage]) -> list[Any]:
    """A batch handler's outcomes for ``messages`` (one per message, in order); its
    uncommitted writes are committed with the outcomes. Should it raise, every message
    fails with that error and is retried after the back-off."""
    try:
        outcomes = list(handler(messages))
        if len(outcomes) != len(messages):
            raise RuntimeError(f"{len(outcomes)} outcomes for {len(messages)} messages")
        return outcomes
    except Exception as exc:  # noqa: BLE001 - recorded as each row's outcome
        db.session.rollback()
        return [exc] * len(messages)


def _outcome_values(message: OutboxMessage, outcome: Any) -> dict:
    """The row's new status, error, next try and result for ``outcome``."""
    now = utcnow()
    values = {
        "_id": message.id,
        "status": DONE,
        "lease_until": None,
        "last_error": None,
        "available_at": message.available_at,
        "done_at": None,
        "result": message.result,
    }
    if isinstance(outcome, GiveUp):
        values.update(status=DEAD, last_error=str(outcome)[:2000])
        log.warning("outbox %s gave up: %s", message.id, outcome, extra={"outbox_id": message.id})
    elif isinstance(outcome, BaseException):
        delay = outcome.delay if isinstance(outcome, RetryLater) else None
        status = DEAD if (message.attempts or 0) >= MAX_ATTEMPTS else PENDING
        wait = delay if delay is not None else backoff_seconds(message.attempts or 0)
        values.update(
            status=status,
            last_error=f"{outcome.__class__.__name__}: {outcome}"[:2000],
            available_at=now + timedelta(seconds=wait),
        )
        log.warning(
            "outbox %s failed (%s): %s",
            message.id,
            status,
            outcome,
            extra={"outbox_id": message.id},
        )
    else:
        values.update(done_at=now, result=outcome if isinstance(outcome, dict) else None)
    return values


FINISH = (
    update(OutboxMessage.__table__)
    .where(OutboxMessage.__table__.c.id == bindparam("_id"))
    .values(
        {
            c: bindparam(c)
            for c in ("status", "lease_until", "last_error", "available_at", "done_at", "result")
        }
    )
)


def _finish(done: list[tuple[OutboxMessage, Any]]) -> list[str]:
    """Record every outcome (and what a batch handler left in the session) in one
    commit; returns the rows' new statuses."""
    values = [_outcome_values(m, outcome) for m, outcome in done]
    with committing(db.session):
        if values:
            db.session.execute(FINISH, values)
    return [v["status"] for v in values]


def process(message_id: int) -> str:
    """Run the handler for one claimed row and record the outcome; returns the new status."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != IN_FLIGHT:
        db.session.rollback()
        return "skipped"
    db.session.expunge(message)
    db.session.commit()  # end the read transaction before calling out
    return _finish([(message, _run_one(message))])[0]


def dispatch_once(limit: int | None = None) -> int:
    """Claim one chunk of due rows, run their handlers, and record every outcome in one
    transaction; returns how many rows were handled.

    Rows of a kind with a batch handler (``register_handler(..., many=...)``) go to it
    together; the others one by one. Outcomes are recorded after the chunk: a dispatcher killed
    before that leaves the rows in flight, to be run again after the lease with
    ``attempts`` > 1 — the case every handler already checks for.
    """
    config = current_app.config
    messages = claim(limit or config["OUTBOX_BATCH_SIZE"], config["OUTBOX_LEASE_SECONDS"])
    by_kind: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        by_kind.setdefault(message.kind, []).append(message)
    done: list[tuple[OutboxMessage, Any]] = []
    for kind, group in by_kind.items():
        many = registry().outbox_batch_handlers.get(kind)
        outcomes = _run_many(many, group) if many else [_run_one(m) for m in group]
        done.extend(zip(group, outcomes, strict=True))
        if many:
            _finish(done)  # the batch handler's writes commit with their outcomes
            done = []
    _finish(done)
    return len(messages)


def drain(max_rounds: int = 1000) -> int:
    """Dispatch until nothing is due (tests and the demo); returns rows handled."""
    total = 0
    for _ in range(max_rounds):
        handled = dispatch_once()
        if not handled:
            break
        total += handled
    return total


def run_dispatcher(app: Flask, stop: threading.Event, idle_sleep: float = 0.5) -> None:
    """The dispatcher loop: batches while there is work, short sleeps when idle."""
    log.info("outbox dispatcher started")
    while not stop.is_set():
        with app.app_context():
            try:
                handled = dispatch_once()
            except Exception as exc:  # noqa: BLE001 - keep the loop alive (db restart etc.)
                log.error("dispatcher round failed: %s", exc)
                db.session.remove()
                handled = 0
                stop.wait(2.0)
            finally:
                db.session.remove()
        if not handled:
            stop.wait(idle_sleep)
    log.info("outbox dispatcher stopped")


def run_dispatchers(app: Flask, stop: threading.Event, threads: int = 1) -> None:
    """``threads`` dispatcher loops in this process until ``stop``. On PostgreSQL they
    share the due rows through ``SKIP LOCKED``, so their WeChat calls overlap (each call
    waits on the network); SQLite has no row locks, so it gets one loop whatever asked."""
    with app.app_context():
        shared = is_postgres(db.engine)
    if threads <= 1 or not shared:
        run_dispatcher(app, stop)
        return
    loops = [
        threading.Thread(target=run_dispatcher, args=(app, stop), name=f"dispatcher-{i}")
        for i in range(threads)
    ]
    for loop in loops:
        loop.start()
    for loop in loops:
        loop.join()


def register_handler(app: Flask, kind: str, handler, *, many=None) -> None:
    """Domains call this in ``init_app`` to handle outbox rows of ``kind``: ``handler``
    takes one message; ``many``, when given, takes a claimed chunk's messages of the kind
    together and returns one outcome per message (a result, or the exception it ended
    with), leaving its writes for the dispatcher to commit with the outcomes."""
    registry(app).outbox_handlers[kind] = handler
    if many is not None:
        registry(app).outbox_batch_handlers[kind] = many


def init_app(app: Flask) -> None:
    import click

    @app.cli.group("outbox")
    def outbox_cli():
        """The outbox dispatcher."""

    @outbox_cli.command("run")
    @click.option("--once", is_flag=True, help="Dispatch what is due, then exit.")
    @click.option(
        "--threads",
        type=click.IntRange(1, 64),
        default=None,
        help="Dispatcher loops in this process (PostgreSQL; SQLite runs one); "
        "default SIYU_OUTBOX_THREADS.",
    )
    def run_command(once: bool, threads: int | None):
        """Carry out outbox work until stopped (SIGTERM / Ctrl-C)."""
        if once:
            click.echo(f"dispatched {drain()}")
            return
        stop = threading.Event()
        import signal

        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            run_dispatchers(app, stop, threads or max(1, int(app.config["OUTBOX_THREADS"])))
        except KeyboardInterrupt:
            stop.set()

    @outbox_cli.command("stats")
    def stats_command():
        """Rows per status."""
        from sqlalchemy import func

        rows = db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
        for status, count in rows:
            click.echo(f"{status}\t{count}")


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout`` (used by the embedded runner and tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
