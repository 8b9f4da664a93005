"""Fixtures for the community tests: the organisation with logins, HQ / owner / guide tokens."""

from __future__ import annotations

import pytest

from tests.community.factories_groups import build_org
from tests.fixtures.auth import api_token, bearer


@pytest.fixture
def org(app):
    """Franchisees A and B with a store and guides each, and their accounts."""
    with app.app_context():
        return build_org()


@pytest.fixture
def as_hq(client, org):
    return bearer(api_token(client, "hq"))


@pytest.fixture
def as_owner_a(client, org):
    return bearer(api_token(client, "owner-a"))


@pytest.fixture
def as_guide_a(client, org):
    return bearer(api_token(client, "guide-a"))


@pytest.fixture
def sandbox(app):
    from app.wechat.sandbox import sandbox_state

    return sandbox_state(app)
