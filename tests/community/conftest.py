"""Fixtures for the community tests: the organisation with logins, HQ / owner / guide tokens."""

from __future__ import annotations

import pytest

from tests.community.factories_groups import build_org
from tests.fixtures.auth import built, signed_in

org = built(build_org)
as_hq = signed_in("hq", "org")
as_owner_a = signed_in("owner-a", "org")
as_guide_a = signed_in("guide-a", "org")


@pytest.fixture
def sandbox(app):
    from app.wechat.sandbox import sandbox_state

    return sandbox_state(app)
