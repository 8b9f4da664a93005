"""The mini-program login's hot path (issue 20, login round): psycopg keeps the parse of
the welcome statement, the assignment settings come from memory (a change HQ commits is
seen by the next login), the contacts hook reads before it writes, and code2session
goes through one kept connection pool per process, to the emulator as to WeChat."""

from __future__ import annotations

import re

from psycopg import _queries
from sqlalchemy import select

from app.db import PARSE_CACHE_CHARS, PARSE_CACHE_PARAMS, widen_parse_cache
from app.extensions import db
from app.wechat.sandbox.miniprogram import identity_for_code
from franchise.models import Customer
from franchise.services import settings
from franchise.services.welcome_pg import welcome_sql
from tests.franchise.factories_customers import login_seen

SH = {"latitude": 31.2001, "longitude": 121.4001, "city": "上海"}


def _settings_reads(seen: list[str]) -> list[str]:
    """The reads of every setting (``settings.all_settings``; the member settings the
    embedded welcome reads are a read by key of their own)."""
    return [s for s in seen if "FROM franchise_settings" in s and " IN " in s]


def test_every_shape_of_the_welcome_statement_fits_psycopgs_parse_cache(app):
    """Over 50 named parameters (psycopg's own limit) the statement was split again at
    every new customer's login."""
    widen_parse_cache()
    assert _queries.MAX_CACHED_STATEMENT_PARAMS == PARSE_CACHE_PARAMS
    assert _queries.MAX_CACHED_STATEMENT_LENGTH == PARSE_CACHE_CHARS
    with app.app_context():
        shapes = [welcome_sql(n, coupon) for n in (None, 1, 2, 3) for coupon in (False, True)]
    widest = max(len(set(re.findall(r"%\((\w+)\)s", sql))) for sql in shapes)
    assert 50 < widest <= PARSE_CACHE_PARAMS, widest
    assert max(len(sql.encode()) for sql in shapes) <= PARSE_CACHE_CHARS


def test_widening_never_narrows_the_parameter_limit():
    widen_parse_cache(params=10)
    assert _queries.MAX_CACHED_STATEMENT_PARAMS >= PARSE_CACHE_PARAMS


def test_logins_read_the_settings_once_and_see_what_hq_changes(app, client, org):
    """The first login reads the settings rows; the next ones none; a change HQ commits
    (the binding's protection period here) decides the next login at once."""
    _body, seen = login_seen(app, client, "code-hot-settings-1", **SH)
    assert len(_settings_reads(seen)) == 1
    first, seen = login_seen(app, client, "code-hot-settings-2", **SH)
    assert not _settings_reads(seen), seen
    with app.app_context():
        customer = db.session.get(Customer, first["customer"]["id"])
        customer.franchisee_id, customer.store_id, customer.guide_id = org.fb, org.sb, None
        customer.openid = identity_for_code("code-hot-settings-3")["openid"]
        db.session.commit()
    body, _seen = login_seen(app, client, "code-hot-settings-3", **SH)
    assert body["customer"]["store_id"] == org.sb  # bound within the 30 days: kept
    with app.app_context():
        assert settings.lock_days() == 30
        settings.update_settings({"assignment.lock_days": 0})
        assert settings.lock_days() == 0
        assert settings.all_settings()["assignment.lock_days"] == 0
        db.session.get(Customer, first["customer"]["id"]).openid = identity_for_code(
            "code-hot-settings-4"
        )["openid"]
        db.session.commit()
    body, _seen = login_seen(app, client, "code-hot-settings-4", **SH)
    assert body["created"] is False
    assert body["customer"]["store_id"] == org.sa  # no protection now: placed by place
    with app.app_context():
        stored = db.session.scalar(
            select(Customer.store_id).where(Customer.id == first["customer"]["id"])
        )
        assert stored == org.sa
