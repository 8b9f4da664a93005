"""Fixtures for the livestream tests: a small chain over two regions, with logins.

``live_org``: region EAST (franchisees A with stores A1, A2; B with store B1) and NORTH
(franchisee C with store C1); two guides per store; three products; accounts ``hq``
(hq_admin), ``owner-a``, ``owner-c`` and guide logins ``guide-a1`` (first guide of A1)
and ``guide-c1`` (first guide of C1). All ids are plain ints on a namespace. Data is
written in a short app context (see tests/franchise/conftest.py for why).
"""

from __future__ import annotations

import pytest

from tests.fixtures.auth import api_token, bearer
from tests.livestream.factories import build_live_org


@pytest.fixture
def live_org(app):
    """``build_live_org()`` (see the module docstring)."""
    with app.app_context():
        return build_live_org()


@pytest.fixture
def hq_headers(client, live_org):
    return bearer(api_token(client, "hq"))


@pytest.fixture
def owner_a_headers(client, live_org):
    return bearer(api_token(client, "owner-a"))


@pytest.fixture
def guide_a1_headers(client, live_org):
    return bearer(api_token(client, "guide-a1"))
