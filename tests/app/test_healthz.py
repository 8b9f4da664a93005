"""``/healthz`` reports the scheduler: in production no leader heartbeat is a 503.

A load balancer or monitor acts on the status code and on ``scheduler`` (``ok``,
``absent``, ``stale``); embedded mode reports the scheduler thread without failing.
"""

from __future__ import annotations

import json
import time

import pytest

from app.extensions import get_redis
from app.scheduler import HEARTBEAT_KEY, LeaderScheduler
from tests.fixtures.production import build_from_env


@pytest.fixture
def production_app(staging_env):
    return build_from_env()


def _beat(app, age: float) -> None:
    get_redis(app).set(HEARTBEAT_KEY, json.dumps({"instance": "t", "at": time.time() - age}))


def test_production_without_a_scheduler_is_503_absent(production_app):
    res = production_app.test_client().get("/healthz")
    body = res.get_json()
    assert res.status_code == 503
    assert body["status"] == "degraded" and body["failing"] == ["scheduler"]
    assert body["scheduler"] == "absent" and body["checks"]["database"] == "ok"


def test_production_with_a_live_leader_is_200(production_app):
    LeaderScheduler(production_app).heartbeat()
    res = production_app.test_client().get("/healthz")
    assert res.status_code == 200 and res.get_json()["scheduler"] == "ok"


def test_production_with_an_old_heartbeat_is_503_stale(production_app):
    lease = production_app.config["SCHEDULER_LEASE_SECONDS"]
    _beat(production_app, lease * 2 + 1)
    res = production_app.test_client().get("/healthz")
    assert res.status_code == 503 and res.get_json()["scheduler"] == "stale"
    _beat(production_app, lease / 3)
    assert production_app.test_client().get("/healthz").status_code == 200


def test_embedded_reports_the_scheduler_without_failing(client, app):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["scheduler"] == "absent"
    LeaderScheduler(app).heartbeat()  # the embedded thread's beat
    assert client.get("/healthz").get_json()["scheduler"] == "ok"


def test_the_load_balancers_question_leaves_the_scheduler_to_the_monitor(production_app):
    """``?scope=web``: both schedulers dead must not take every web node out of the pool."""
    res = production_app.test_client().get("/healthz?scope=web")
    body = res.get_json()
    assert res.status_code == 200 and body["status"] == "ok"
    assert body["scheduler"] == "absent"  # still reported
    assert production_app.test_client().get("/healthz").status_code == 503
