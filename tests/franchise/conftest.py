"""Fixtures for the franchise tests: two franchises (A, B) with stores, guides and logins.

The data is written inside a short-lived app context: a test that keeps one pushed
while it calls the test client would share ``g`` (cached principal, CSRF token) and the
database session with every request. Read the database afterwards in ``with
app.app_context():``.
"""

from __future__ import annotations

import pytest

from tests.fixtures.auth import built, signed_in
from tests.franchise.factories import build_org
from tests.franchise.factories_commerce import build_shop, customer_headers

org = built(build_org)
as_hq = signed_in("hq", "org")
as_owner_a = signed_in("owner-a", "org")


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
