"""``GET /healthz``: database, Redis and scheduler heartbeat, for load balancers and humans.

200 ``{"status": "ok"}`` while everything answers; 503 ``{"status": "degraded",
"failing": [...]}`` otherwise. In production the scheduler counts: no leader heartbeat
within three leases (``absent``) or an old one (``stale``) is 503, because reminders,
sweeps, settlement and pushes stop without it. In embedded mode the scheduler is a thread
of the one process and is reported without failing the check. A production running on
the emulator (``SIYU_ALLOW_SANDBOX=1``) says so with ``"sandbox": true`` and its warning.

``GET /healthz?scope=web`` is the load balancer's question, "can this web node serve?":
database and Redis only, the scheduler reported but not failing it, so both schedulers
dying alerts the monitor (plain ``/healthz``) without taking every web node out of the
pool.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request
from sqlalchemy import text

from app.extensions import db, get_redis

bp = Blueprint("health", __name__)


def _scheduler_check() -> dict:
    try:
        from app.scheduler import heartbeat_status

        return heartbeat_status(current_app)
    except Exception as exc:  # noqa: BLE001 - report, never raise
        return {"status": f"error: {exc.__class__.__name__}"}


@bp.route("/healthz")
def healthz():
    """The state of each dependency; 503 when one a production deployment needs fails."""
    checks: dict = {}
    failing: list[str] = []
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, never raise
        db.session.rollback()
        checks["database"] = f"error: {exc.__class__.__name__}"
        failing.append("database")
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {exc.__class__.__name__}"
        failing.append("redis")
    checks["scheduler"] = _scheduler_check()
    production = current_app.config["SIYU_ENV"] == "production"
    web_only = request.args.get("scope") == "web"
    if production and not web_only and checks["scheduler"]["status"] != "ok":
        failing.append("scheduler")
    body = {
        "status": "degraded" if failing else "ok",
        "mode": current_app.config["SIYU_ENV"],
        "wechat": current_app.config["WECHAT_MODE"],
        "sandbox": current_app.config["WECHAT_MODE"] == "sandbox",
        "scheduler": checks["scheduler"]["status"],
        "checks": checks,
    }
    if failing:
        body["failing"] = failing
    warnings = current_app.config.get("STARTUP_WARNINGS") or []
    if warnings:
        body["warnings"] = warnings
    return jsonify(body), 503 if failing else 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
