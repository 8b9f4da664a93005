"""Shared fixtures: the app built as in production, a clean database and Redis per test.

``SIYU_TEST_DATABASE_URL`` / ``SIYU_TEST_REDIS_URL`` point the suite at real PostgreSQL
and Redis (``scripts/test`` runs it twice); otherwise SQLite in a temp dir and fakeredis.
Every test ends with the tables and Redis emptied (``_clean`` in tests/fixtures/database.py);
under pytest-xdist each worker has its own database and Redis db (same module).
Helpers live in ``tests/fixtures/`` and the per-domain ``factories*.py``, never in a test
module or a conftest: test modules import those, not each other.

Hypothesis runs with the ``siyu`` profile: a failure prints the blob to replay it
(``@reproduce_failure``). ``HYPOTHESIS_PROFILE`` picks another registered profile.
"""

from __future__ import annotations

import os

import pytest
from flask.testing import FlaskClient
from hypothesis import settings

from app.extensions import db
from app.schema_reset import fresh_tables
from wsgi import build_app

pytest_plugins = [
    "tests.fixtures.auth",
    "tests.fixtures.browser",
    "tests.fixtures.database",
    "tests.fixtures.passwords",
    "tests.fixtures.pay_api",
    "tests.fixtures.randomness",
    "tests.fixtures.sandbox",
    "tests.fixtures.today_world",
]

settings.register_profile("siyu", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "siyu"))


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
            # other areas' tests count outbox rows: the planner's tests switch it on
            "COMMUNITY_REPLAN_ON_CHANGE": False,
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        fresh_tables(db.engine)
    yield app
    with app.app_context():
        db.session.remove()
        fresh_tables(db.engine, create=False)


@pytest.fixture
def ctx(app):
    """An app context for service-level tests."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, the ``slow`` tests first (otherwise in collection order): workers
    pull tests as they go, so a 45 s test started last would leave the other worker idle
    that long at the end; started first, the short tests fill in around it."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)
