"""Fixtures for the livestream tests: a small chain over two regions, with logins.

``live_org``: region EAST (franchisees A with stores A1, A2; B with store B1) and NORTH
(franchisee C with store C1); two guides per store; three products; accounts ``hq``
(hq_admin), ``owner-a``, ``owner-c`` and guide logins ``guide-a1`` (first guide of A1)
and ``guide-c1`` (first guide of C1). All ids are plain ints on a namespace. Data is
written in a short app context (see tests/franchise/conftest.py for why).
"""

from __future__ import annotations

import pytest

from tests.fixtures.auth import built, signed_in
from tests.livestream.factories import build_live_org
from tests.livestream.scenarios import build_review_scenario

live_org = built(build_live_org)
hq_headers = signed_in("hq", "live_org")
owner_a_headers = signed_in("owner-a", "live_org")
guide_a1_headers = signed_in("guide-a1", "live_org")


@pytest.fixture
def reviewed(app, live_org):
    """``build_review_scenario`` over ``live_org``: a store-level campaign that ended
    yesterday with targets, orders, visits and four rules (its ids)."""
    with app.app_context():
        return build_review_scenario(live_org)
