"""Migrations: a single head, and upgrading an empty database yields exactly the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from app.extensions import db
from wsgi import build_app


def test_single_head(ctx):
    config = ctx.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"migrations have {len(heads)} heads: {heads}"


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
