"""The guide's Today page runs one statement for every tab's figures; on PostgreSQL it must
stay short enough for psycopg to keep its parse (``app.db.widen_parse_cache`` raises
psycopg's 4,096 characters to ``PARSE_CACHE_CHARS``; a longer statement is re-split on
every view)."""

from __future__ import annotations

from psycopg import _queries
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg

from app.auth.principal import Principal
from app.db import PARSE_CACHE_CHARS, PARSE_CACHE_PARAMS, widen_parse_cache
from app.web.today import _statement, parameters


def test_today_statement_fits_psycopgs_parse_cache(app):
    with app.app_context():
        guide = Principal("guide", 1, franchisee_id=1, store_id=1, guide_id=1)
        stmt = _statement().params(parameters(guide))
        sql = str(
            stmt.compile(dialect=pg_psycopg.dialect(), compile_kwargs={"render_postcompile": True})
        )
    assert "(SELECT count(" in sql  # the tabs' figures are in it
    assert "care_interval_days" in sql  # the care line's count too
    widen_parse_cache()
    assert len(sql) <= _queries.MAX_CACHED_STATEMENT_LENGTH == PARSE_CACHE_CHARS, len(sql)


def test_widening_never_narrows():
    widen_parse_cache(100, 10)
    assert _queries.MAX_CACHED_STATEMENT_LENGTH >= PARSE_CACHE_CHARS
    assert _queries.MAX_CACHED_STATEMENT_PARAMS >= PARSE_CACHE_PARAMS


def test_today_statements_render_once(app):
    """No expanding parameter (a fixed IN list re-rendered on every execution): the Today
    statement and the campaigns' visibility write their fixed lists as constants
    (``app.db.fixed_values``)."""
    from sqlalchemy import select

    from livestream.models import Campaign
    from livestream.services.access import visible_campaigns

    with app.app_context():
        guide = Principal("guide", 1, franchisee_id=1, store_id=1, guide_id=1)
        for stmt in (_statement(), visible_campaigns(select(Campaign.id), guide)):
            sql = str(stmt.compile(dialect=pg_psycopg.dialect()))
            assert "POSTCOMPILE" not in sql and " IN ('" in sql
