"""The scheduler lease: one leader at a time; a standby takes over when the lease lapses."""

from __future__ import annotations

import threading
import time

from app.extensions import get_redis
from app.scheduler import HEARTBEAT_KEY, LEADER_KEY, LeaderScheduler, heartbeat_status


def test_only_one_leader(app):
    first, second = LeaderScheduler(app, "one"), LeaderScheduler(app, "two")
    try:
        assert first.try_lead() is True
        assert second.try_lead() is False
        assert get_redis(app).get(LEADER_KEY) == b"one"
    finally:
        first.step_down()
        second.step_down()


def test_standby_takes_over_after_lease_lapses(app):
    app.config["SCHEDULER_LEASE_SECONDS"], old = 1, app.config["SCHEDULER_LEASE_SECONDS"]
    try:
        leader, standby = LeaderScheduler(app, "leader"), LeaderScheduler(app, "standby")
        assert leader.try_lead()
        leader.scheduler.shutdown(wait=False)  # the leader "dies": no more renewals
        assert standby.try_lead() is False
        time.sleep(1.2)
        assert standby.try_lead() is True
        # the old leader cannot renew a lease it no longer holds
        assert leader.renew() is False and leader.is_leader is False
        standby.step_down()
    finally:
        app.config["SCHEDULER_LEASE_SECONDS"] = old


def test_jobs_run_only_on_the_leader(app):
    from app.scheduler import register_job

    runs: list[str] = []
    register_job(app, "test.tick", lambda: runs.append("tick"), "interval", seconds=1)
    stop = threading.Event()
    try:
        first, second = LeaderScheduler(app, "a"), LeaderScheduler(app, "b")
        threads = [threading.Thread(target=s.run, args=(stop,)) for s in (first, second)]
        for t in threads:
            t.start()
        time.sleep(2.6)
        stop.set()
        for t in threads:
            t.join(5)
        assert [first.is_leader, second.is_leader] == [False, False]  # both stepped down
        assert 1 <= len(runs) <= 3  # one scheduler fired, about once a second
        assert get_redis(app).get(HEARTBEAT_KEY) is not None
        assert heartbeat_status(app)["status"] == "ok"
    finally:
        from app.extensions import registry

        registry(app).jobs[:] = [j for j in registry(app).jobs if j["id"] != "test.tick"]
