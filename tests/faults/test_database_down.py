"""PostgreSQL unreachable for a moment: the API answers 503 with the error envelope, and
recovers by itself when the database is back; a pooled connection that died while idle
is replaced before a request uses it (``app.db.ping_after_idle``), with no ping on every
checkout."""

from __future__ import annotations

import time

from sqlalchemy.engine import make_url

from app.auth.principal import issue_user_token
from app.extensions import db
from tests.fixtures.auth import gen_user
from tests.fixtures.processes import PG_URL, TcpProxy, wait_until
from wsgi import build_app


def test_api_answers_503_while_the_database_is_down(app, redis_server):
    url = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port)
    fresh = build_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fault",
            "SIYU_ENV": "embedded",
            "SQLALCHEMY_DATABASE_URI": proxied.render_as_string(hide_password=False),
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_timeout": 5,
                "connect_args": {"connect_timeout": 3},
            },
            "DB_PING_IDLE_SECONDS": 1,
            "REDIS_URL": redis_server.url,
        }
    )
    try:
        with fresh.app_context():
            token = issue_user_token(gen_user("db-fault", "hq_admin"))
        client = fresh.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/franchisees", headers=headers).status_code == 200

        proxy.cut()
        response = client.get("/api/v1/franchisees", headers=headers)
        assert response.status_code == 503
        assert response.get_json()["code"] == "unavailable"
        assert client.get("/healthz").status_code == 503

        proxy.restore()
        assert wait_until(
            lambda: client.get("/api/v1/franchisees", headers=headers).status_code == 200, 15
        )

        # the connection dies while idle in the pool (a restart, an idle timeout): the
        # next request after the idle time gets a fresh one, not an error
        proxy.cut()
        proxy.restore()
        time.sleep(1.2)
        assert client.get("/api/v1/franchisees", headers=headers).status_code == 200
    finally:
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()
        proxy.close()
