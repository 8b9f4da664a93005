"""The one scheduler process (``flask scheduler run``): APScheduler behind a Redis lease.

Domains register periodic jobs with stable ids (``register_job``). Only the process that
holds the lease ``siyu:scheduler:leader`` runs them; a second process stands by and takes
over when the lease lapses (leader killed). The leader renews the lease every third of
its length and writes a heartbeat that ``/healthz`` reads. Jobs run in Asia/Shanghai
time and must be idempotent (they claim work by unique keys), because a job cut short
by a crash runs again on the next leader. Never started inside web workers, except as a
thread of the single embedded process.

Test hook: ``SIYU_SCHEDULER_JOB_INTERVALS`` (config ``SCHEDULER_JOB_INTERVALS``), e.g.
``"community.allocate=1,community.dispatch_due=1"``, runs the named jobs every N seconds
instead of their own trigger, so a fault test can watch a day's work in seconds. Unset in
production; the jobs not named keep their triggers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid

import redis
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from redis.exceptions import LockError
from redis.lock import Lock

from app.extensions import db, get_redis, registry

log = logging.getLogger("siyu.scheduler")

LEADER_KEY = "siyu:scheduler:leader"
HEARTBEAT_KEY = "siyu:scheduler:heartbeat"


def register_job(app: Flask, job_id: str, func, trigger: str, **trigger_args) -> None:
    """Register a periodic job: ``trigger`` is ``cron`` or ``interval`` (APScheduler)."""
    jobs = registry(app).jobs
    jobs[:] = [job for job in jobs if job["id"] != job_id]
    jobs.append({"id": job_id, "func": func, "trigger": trigger, "args": trigger_args})


def job_interval_overrides(app: Flask) -> dict[str, float]:
    """``{job_id: seconds}`` from ``SCHEDULER_JOB_INTERVALS`` / ``SIYU_SCHEDULER_JOB_INTERVALS``
    (``"id=seconds,id=seconds"``); empty when unset; a malformed entry raises ``ValueError``."""
    raw = app.config.get("SCHEDULER_JOB_INTERVALS") or ""
    overrides: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        job_id, _, seconds = item.partition("=")
        try:
            overrides[job_id.strip()] = float(seconds)
        except ValueError as exc:
            raise ValueError(f"SIYU_SCHEDULER_JOB_INTERVALS: bad entry {item!r}") from exc
        if overrides[job_id.strip()] <= 0:
            raise ValueError(f"SIYU_SCHEDULER_JOB_INTERVALS: bad entry {item!r}")
    return overrides


def _wrap(app: Flask, job_id: str, func):
    def run():
        started = time.monotonic()
        with app.app_context():
            try:
                func()
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                log.exception("job %s failed", job_id, extra={"job": job_id})
            finally:
                db.session.remove()
        log.info("job %s took %.2fs", job_id, time.monotonic() - started, extra={"job": job_id})

    return run


class LeaderScheduler:
    """Holds the Redis lease and runs APScheduler only while it is the leader."""

    def __init__(self, app: Flask, instance: str | None = None):
        self.app = app
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = app.config["SCHEDULER_LEASE_SECONDS"]
        self.scheduler: BackgroundScheduler | None = None
        self.lock: Lock | None = None
        self.is_leader = False

    def _build(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            timezone=self.app.config["TIMEZONE"],
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        overrides = job_interval_overrides(self.app)
        for job in registry(self.app).jobs:
            trigger, args = job["trigger"], job["args"]
            if job["id"] in overrides:
                trigger, args = "interval", {"seconds": overrides[job["id"]]}
            scheduler.add_job(
                _wrap(self.app, job["id"], job["func"]),
                trigger,
                id=job["id"],
                replace_existing=True,
                **args,
            )
        return scheduler

    def _client(self) -> redis.Redis:
        return get_redis(self.app)

    def try_lead(self) -> bool:
        """Take the lease if it is free; start the jobs when we do."""
        client = self._client()
        self.lock = client.lock(LEADER_KEY, timeout=self.lease, blocking=False, thread_local=False)
        if not self.lock.acquire(blocking=False, token=self.instance):
            return False
        self.is_leader = True
        self.scheduler = self._build()
        self.scheduler.start()
        log.info("scheduler %s is the leader", self.instance)
        return True

    def renew(self) -> bool:
        """Extend the lease; on losing it, stop the jobs and stand by again."""
        assert self.lock is not None  # renewed only while leading, after try_lead took it
        try:
            self.lock.reacquire()
        except (LockError, redis.RedisError) as exc:
            log.warning("scheduler %s lost the lease: %s", self.instance, exc)
            self.step_down()
            return False
        return True

    def step_down(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        self.is_leader = False

    def heartbeat(self) -> None:
        try:
            self._client().set(
                HEARTBEAT_KEY,
                json.dumps(
                    {
                        "instance": self.instance,
                        "at": time.time(),
                        "jobs": len(registry(self.app).jobs),
                    }
                ),
                ex=self.lease * 3,
            )
        except redis.RedisError as exc:
            log.warning("heartbeat failed: %s", exc)

    def run(self, stop: threading.Event) -> None:
        """Stand by or lead until ``stop`` is set; renews every third of the lease."""
        log.info("scheduler %s standing by (lease %ss)", self.instance, self.lease)
        while not stop.is_set():
            try:
                if self.is_leader:
                    if self.renew():
                        self.heartbeat()
                else:
                    if self.try_lead():
                        self.heartbeat()
            except redis.RedisError as exc:
                log.warning("scheduler cannot reach Redis: %s", exc)
                if self.is_leader:
                    self.step_down()
            stop.wait(max(1.0, self.lease / 3))
        self.step_down()
        if self.lock is not None:
            with contextlib.suppress(LockError, redis.RedisError):
                self.lock.release()


def heartbeat_status(app: Flask) -> dict:
    """The last heartbeat of a leader, for ``/healthz``."""
    raw = get_redis(app).get(HEARTBEAT_KEY)
    if not raw:
        return {"status": "absent"}
    data = json.loads(raw)
    data["age_seconds"] = round(time.time() - data["at"], 1)
    data["status"] = (
        "ok" if data["age_seconds"] < app.config["SCHEDULER_LEASE_SECONDS"] * 2 else "stale"
    )
    return data


def init_app(app: Flask) -> None:
    import click

    @app.cli.group("scheduler")
    def scheduler_cli():
        """The periodic-job scheduler."""

    @scheduler_cli.command("run")
    def run_command():
        """Run the scheduler (leader, or standby behind the Redis lease)."""
        import signal

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            LeaderScheduler(app).run(stop)
        except KeyboardInterrupt:
            stop.set()

    @scheduler_cli.command("jobs")
    def jobs_command():
        """List the registered jobs."""
        for job in registry(app).jobs:
            click.echo(f"{job['id']}\t{job['trigger']}\t{job['args']}")
