"""Migrations: a single head, and upgrading an empty database yields exactly the models."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app.extensions import db
from wsgi import build_app


def test_single_head(ctx):
    config = ctx.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"migrations have {len(heads)} heads: {heads}"


@pytest.fixture
def empty_database_url(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_upgrade_matches_models(app, empty_database_url):
    fresh = build_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "REDIS_URL": None,
        }
    )
    with fresh.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        db.engine.dispose()
    summary = [
        (d[0], getattr(d[1], "name", None) or getattr(d[-1], "name", "?"))
        if isinstance(d, tuple)
        else ("modify", str(d[0][2]) + "." + str(d[0][3]))
        for d in diff
    ]
    assert diff == [], f"models and migrations differ (run flask db migrate): {summary}"
