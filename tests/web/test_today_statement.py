"""The guide's Today page runs one statement for every tab's figures; on PostgreSQL it must
stay short enough for psycopg to cache its parse (a statement over
``MAX_CACHED_STATEMENT_LENGTH`` characters is re-split on every view)."""

from __future__ import annotations

from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg

from app.auth.principal import Principal
from app.web.today import _statement, parameters


def test_today_statement_fits_psycopgs_parse_cache(app):
    with app.app_context():
        guide = Principal("guide", 1, franchisee_id=1, store_id=1, guide_id=1)
        stmt = _statement().params(parameters(guide))
        sql = str(
            stmt.compile(dialect=pg_psycopg.dialect(), compile_kwargs={"render_postcompile": True})
        )
    assert "(SELECT count(" in sql  # the tabs' figures are in it
    assert len(sql) <= MAX_CACHED_STATEMENT_LENGTH, len(sql)
