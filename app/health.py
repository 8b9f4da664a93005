"""``GET /healthz``: database, Redis and scheduler heartbeat, for load balancers and humans."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from app.extensions import db, get_redis

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """200 ``{"status": "ok"}`` while the database and Redis answer; 503 otherwise."""
    checks: dict = {}
    healthy = True
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, never raise
        db.session.rollback()
        checks["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {exc.__class__.__name__}"
        healthy = False
    try:
        from app.scheduler import heartbeat_status

        checks["scheduler"] = heartbeat_status(current_app)
    except Exception as exc:  # noqa: BLE001
        checks["scheduler"] = {"status": f"error: {exc.__class__.__name__}"}
    body = {
        "status": "ok" if healthy else "degraded",
        "mode": current_app.config["SIYU_ENV"],
        "wechat": current_app.config["WECHAT_MODE"],
        "checks": checks,
    }
    return jsonify(body), 200 if healthy else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
