"""Fixtures for the livestream tests: a small chain over two regions, with logins.

``live_org``: region EAST (franchisees A with stores A1, A2; B with store B1) and NORTH
(franchisee C with store C1); two guides per store; three products; accounts ``hq``
(hq_admin), ``owner-a``, ``owner-c`` and guide logins ``guide-a1`` (first guide of A1)
and ``guide-c1`` (first guide of C1). All ids are plain ints on a namespace. Data is
written in a short app context (see tests/franchise/conftest.py for why).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.fixtures.auth import api_token, bearer, gen_user
from tests.franchise.factories import gen_franchisee, gen_guide, gen_region, gen_store
from tests.livestream.factories import gen_product


@pytest.fixture
def live_org(app):
    with app.app_context():
        return build_live_org()


def build_live_org() -> SimpleNamespace:
    east = gen_region(code="EAST", name="华东", cities=("上海", "杭州"))
    north = gen_region(code="NORTH", name="华北", cities=("北京",))
    fa = gen_franchisee(east, name="Alpha Jewels", sub_mch_id="1900000301")
    fb = gen_franchisee(east, name="Beta Jewels", sub_mch_id="1900000302")
    fc = gen_franchisee(north, name="Gamma Jewels", sub_mch_id="1900000303")
    a1 = gen_store(fa, code="SH-A1", name="上海A1店", city="上海")
    a2 = gen_store(fa, code="SH-A2", name="上海A2店", city="上海")
    b1 = gen_store(fb, code="HZ-B1", name="杭州B1店", city="杭州", latitude=30.3, longitude=120.2)
    c1 = gen_store(fc, code="BJ-C1", name="北京C1店", city="北京", latitude=39.9, longitude=116.4)
    guides = {}
    for store in (a1, a2, b1, c1):
        for i in (1, 2):
            g = gen_guide(store, name=f"{store.code}-{i}", wecom_userid=f"{store.code.lower()}-{i}")
            guides[f"{store.code}-{i}"] = g.id
    products = [gen_product(price_fen=p) for p in (1999_00, 5880_00, 12800_00)]
    gen_user("hq", "hq_admin")
    gen_user("owner-a", "franchise_owner", franchisee_id=fa.id)
    gen_user("owner-c", "franchise_owner", franchisee_id=fc.id)
    gen_user("guide-a1", "guide", franchisee_id=fa.id, store_id=a1.id, guide_id=guides["SH-A1-1"])
    gen_user("guide-c1", "guide", franchisee_id=fc.id, store_id=c1.id, guide_id=guides["BJ-C1-1"])
    return SimpleNamespace(
        east=east.id,
        north=north.id,
        fa=fa.id,
        fb=fb.id,
        fc=fc.id,
        a1=a1.id,
        a2=a2.id,
        b1=b1.id,
        c1=c1.id,
        stores=[a1.id, a2.id, b1.id, c1.id],
        ga1=guides["SH-A1-1"],
        ga1b=guides["SH-A1-2"],
        ga2=guides["SH-A2-1"],
        gb1=guides["HZ-B1-1"],
        gc1=guides["BJ-C1-1"],
        products=[p.id for p in products],
    )


@pytest.fixture
def hq_headers(client, live_org):
    return bearer(api_token(client, "hq"))


@pytest.fixture
def owner_a_headers(client, live_org):
    return bearer(api_token(client, "owner-a"))


@pytest.fixture
def guide_a1_headers(client, live_org):
    return bearer(api_token(client, "guide-a1"))
