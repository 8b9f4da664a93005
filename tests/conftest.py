"""Shared fixtures: the app built as in production, a clean database and Redis per test.

``SIYU_TEST_DATABASE_URL`` / ``SIYU_TEST_REDIS_URL`` point the suite at real PostgreSQL
and Redis (``scripts/test`` runs it twice); otherwise SQLite in a temp dir and fakeredis.
"""

from __future__ import annotations

import os
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from app.extensions import db, get_redis
from wsgi import build_app

pytest_plugins = ["tests.fixtures.auth", "tests.fixtures.browser"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("SIYU_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (fresh ``g``, own DB session), as in production,
    even while a test holds the ``ctx`` fixture's context for its own queries."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = build_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url.replace(
                "postgresql://", "postgresql+psycopg://", 1
            ),
            "REDIS_URL": os.environ.get("SIYU_TEST_REDIS_URL") or None,
            "SANDBOX_TIME_SCALE": 0.0,
            "SANDBOX_STATE_FILE": "",
            "SIYU_ENV": "embedded",
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()


def _clean_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(table.delete())
        db.session.commit()
        get_redis(app).flushdb()
        app.extensions.pop("siyu_store_directory", None)  # rows went by raw SQL
        if "siyu_sandbox" in app.extensions:
            from app.wechat.sandbox import sandbox_state

            sandbox_state(app).reset()


@pytest.fixture(autouse=True)
def _clean(app):
    yield
    _clean_tables(app)


@pytest.fixture
def ctx(app):
    """An app context for service-level tests."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token_from(html: str) -> str:
    """Pull the CSRF token out of a rendered form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no csrf_token in the page"
    return match.group(1)
