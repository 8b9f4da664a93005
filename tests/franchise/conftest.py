"""Fixtures for the franchise tests: two franchises (A, B) with stores, guides and logins.

The data is written inside a short-lived app context: a test that keeps one pushed
while it calls the test client would share ``g`` (cached principal, CSRF token) and the
database session with every request. Read the database afterwards in ``with
app.app_context():``.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.fixtures.auth import api_token, bearer, gen_user
from tests.franchise.factories import gen_franchisee, gen_guide, gen_region, gen_store
from tests.franchise.factories_commerce import build_shop, customer_headers


@pytest.fixture
def org(app):
    """Region EAST with franchisees A and B, a store and a guide each, and accounts."""
    with app.app_context():
        return _build_org()


def _build_org():
    east = gen_region(code="EAST", name="华东", cities=("上海", "杭州"))
    north = gen_region(code="NORTH", name="华北", cities=("北京",))
    fa = gen_franchisee(east, name="Alpha Jewels", sub_mch_id="1900000201")
    fb = gen_franchisee(north, name="Beta Jewels", sub_mch_id="1900000202")
    sa = gen_store(fa, code="SH-A", name="上海A店", city="上海")
    sb = gen_store(fb, code="BJ-B", name="北京B店", city="北京", latitude=39.9, longitude=116.4)
    ga = gen_guide(sa, name="Ann", wecom_userid="ann")
    gb = gen_guide(sb, name="Bob", wecom_userid="bob")
    gen_user("hq", "hq_admin")
    gen_user("owner-a", "franchise_owner", franchisee_id=fa.id)
    gen_user("owner-b", "franchise_owner", franchisee_id=fb.id)
    gen_user("guide-a", "guide", franchisee_id=fa.id, store_id=sa.id, guide_id=ga.id)
    return SimpleNamespace(
        east=east.id, north=north.id, fa=fa.id, fb=fb.id, sa=sa.id, sb=sb.id, ga=ga.id, gb=gb.id
    )


@pytest.fixture
def as_hq(client, org):
    return bearer(api_token(client, "hq"))


@pytest.fixture
def as_owner_a(client, org):
    return bearer(api_token(client, "owner-a"))


@pytest.fixture
def shop(app, org):
    """The commerce set-up of ``factories_commerce.build_shop`` over ``org``."""
    with app.app_context():
        return build_shop(org)


@pytest.fixture
def as_ca(app, shop):
    """Bearer headers of the shop's customer ``ca`` (mini-program)."""
    with app.app_context():
        return customer_headers(shop.ca)
