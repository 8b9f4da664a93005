"""kill -9 the leader scheduler: the standby takes over within the lease time."""

from __future__ import annotations

import time

import redis

from app.scheduler import HEARTBEAT_KEY, LEADER_KEY
from tests.fixtures.processes import flask_env, kill, spawn, wait_until

LEASE = 3


def test_standby_takes_over_after_leader_is_killed(redis_server, tmp_path):
    client = redis.Redis.from_url(redis_server.url)
    env = flask_env(SIYU_REDIS_URL=redis_server.url, SIYU_SCHEDULER_LEASE_SECONDS=LEASE)
    procs = [spawn(["scheduler", "run"], env, tmp_path / f"scheduler-{i}.log") for i in (1, 2)]
    try:
        assert wait_until(lambda: client.get(LEADER_KEY) is not None, 20), "nobody leads"
        leader_instance = client.get(LEADER_KEY).decode()
        leader = next(p for p in procs if f":{p.pid}:" in leader_instance)
        standby = next(p for p in procs if p is not leader)
        killed_at = time.monotonic()
        kill(leader)  # SIGKILL: no clean release of the lease
        took_over = wait_until(
            lambda: (client.get(LEADER_KEY) or b"").decode().count(f":{standby.pid}:") == 1,
            LEASE + 5,
        )
        takeover_seconds = time.monotonic() - killed_at
        assert took_over, "the standby did not take over"
        # within the lease plus one renewal interval of the standby
        assert takeover_seconds <= LEASE + LEASE / 3 + 1.5, takeover_seconds
        assert wait_until(
            lambda: f":{standby.pid}:" in (client.get(HEARTBEAT_KEY) or b"").decode(), 5
        )
        assert standby.poll() is None  # still running, no crash loop
    finally:
        for proc in procs:
            kill(proc)
