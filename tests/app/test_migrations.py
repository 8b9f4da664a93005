"""Migrations: a single head, and upgrading an empty database yields exactly the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from app.extensions import db


def test_single_head(ctx):
    config = ctx.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"migrations have {len(heads)} heads: {heads}"


def test_upgrade_matches_models(app, empty_database_app):
    with empty_database_app.app_context():
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
