"""Restart Redis: rate limits, the scheduler lease and health recover without a crash loop."""

from __future__ import annotations

import threading

from app.extensions import db
from app.scheduler import LeaderScheduler
from tests.fixtures.auth import PASSWORD
from tests.fixtures.processes import PG_URL, wait_until
from wsgi import build_app


def _app(redis_url: str):
    app = build_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fault",
            "SIYU_ENV": "embedded",
            "SQLALCHEMY_DATABASE_URI": PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
            "REDIS_URL": redis_url,
            "SCHEDULER_LEASE_SECONDS": 2,
        }
    )
    return app


def test_api_and_limits_survive_a_redis_restart(app, redis_server):
    fresh = _app(redis_server.url)
    with fresh.app_context():
        from tests.fixtures.auth import gen_user

        gen_user("redis-fault", "hq_admin")
    client = fresh.test_client()
    body = {"username": "redis-fault", "password": PASSWORD}
    assert client.post("/api/v1/auth/token", json=body).status_code == 200
    assert client.get("/healthz").status_code == 200

    redis_server.stop()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["checks"]["redis"].startswith("error")
    # logins still work while the limiter is down (it fails open; passwords still checked)
    assert client.post("/api/v1/auth/token", json=body).status_code == 200
    bad = client.post("/api/v1/auth/token", json={**body, "password": "wrong"})
    assert bad.status_code == 401

    redis_server.start()
    assert wait_until(lambda: client.get("/healthz").status_code == 200, 10)
    codes = [
        client.post("/api/v1/auth/token", json={**body, "password": "x"}).status_code
        for _ in range(12)
    ]
    assert codes[-1] == 429  # the limiter counts again
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()


def test_scheduler_lease_recovers_after_redis_restart(redis_server):
    fresh = _app(redis_server.url)
    scheduler = LeaderScheduler(fresh, "fault-test")
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: scheduler.is_leader, 10)
        redis_server.stop()
        assert wait_until(lambda: not scheduler.is_leader, 10), "kept leading without Redis"
        assert thread.is_alive()
        redis_server.start()
        assert wait_until(lambda: scheduler.is_leader, 15), "did not lead again"
    finally:
        stop.set()
        thread.join(10)
