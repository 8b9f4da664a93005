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
This module must never call WeChat itself, nor hold a row lock across a handler call.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import JSON, String, Text, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.db import is_postgres
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
    values = {
        "kind": kind,
        "dedupe_key": dedupe_key,
        "payload": payload,
        "status": PENDING,
        "attempts": 0,
        "available_at": utcnow() + timedelta(seconds=delay_seconds),
        "created_at": utcnow(),
    }
    insert = pg_insert if is_postgres(db.engine) else sqlite_insert
    stmt = (
        insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    db.session.execute(stmt)


def backoff_seconds(attempts: int) -> float:
    """Exponential back-off: 2, 4, 8 ... seconds, capped at ten minutes."""
    return float(min(600, 2 ** max(1, attempts)))


def claim_batch(limit: int, lease_seconds: int) -> list[int]:
    """Claim due rows (pending, or in flight with a lapsed lease) and commit the lease."""
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
    try:
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
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ids


def _finish(message_id: int, **values) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    db.session.commit()


def process(message_id: int) -> str:
    """Run the handler for one claimed row and record the outcome; returns the new status."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != IN_FLIGHT:
        db.session.rollback()
        return "skipped"
    handler = registry().outbox_handlers.get(message.kind)
    db.session.commit()  # end the read transaction before calling out
    if handler is None:
        _finish(message_id, status=DEAD, last_error=f"no handler for kind {message.kind!r}")
        return DEAD
    try:
        result = handler(message)
    except GiveUp as exc:
        db.session.rollback()
        _finish(message_id, status=DEAD, last_error=str(exc)[:2000], lease_until=None)
        log.warning("outbox %s gave up: %s", message_id, exc, extra={"outbox_id": message_id})
        return DEAD
    except Exception as exc:  # noqa: BLE001 - any failure is retried with back-off
        db.session.rollback()
        attempts = message.attempts
        delay = exc.delay if isinstance(exc, RetryLater) and exc.delay is not None else None
        status = DEAD if attempts >= MAX_ATTEMPTS else PENDING
        _finish(
            message_id,
            status=status,
            lease_until=None,
            last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
            available_at=utcnow()
            + timedelta(seconds=delay if delay is not None else backoff_seconds(attempts)),
        )
        log.warning(
            "outbox %s failed (%s): %s", message_id, status, exc, extra={"outbox_id": message_id}
        )
        return status
    _finish(
        message_id,
        status=DONE,
        done_at=utcnow(),
        lease_until=None,
        result=result if isinstance(result, dict) else None,
        last_error=None,
    )
    return DONE


def dispatch_once(limit: int | None = None) -> int:
    """Claim one batch and process it; returns how many rows were handled."""
    config = current_app.config
    ids = claim_batch(limit or config["OUTBOX_BATCH_SIZE"], config["OUTBOX_LEASE_SECONDS"])
    for message_id in ids:
        process(message_id)
    return len(ids)


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


def register_handler(app: Flask, kind: str, handler) -> None:
    """Domains call this in ``init_app`` to handle outbox rows of ``kind``."""
    registry(app).outbox_handlers[kind] = handler


def init_app(app: Flask) -> None:
    import click

    @app.cli.group("outbox")
    def outbox_cli():
        """The outbox dispatcher."""

    @outbox_cli.command("run")
    @click.option("--once", is_flag=True, help="Dispatch what is due, then exit.")
    def run_command(once: bool):
        """Carry out outbox work until stopped (SIGTERM / Ctrl-C)."""
        if once:
            click.echo(f"dispatched {drain()}")
            return
        stop = threading.Event()
        import signal

        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            run_dispatcher(app, stop)
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
