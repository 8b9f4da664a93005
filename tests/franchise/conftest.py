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
from tests.franchise.factories_jewellery import (
    bought_ring,
    by_weight,
    enter_price,
    inspection_visit,
    register_piece,
)

org = built(build_org)
as_hq = signed_in("hq", "org")
as_owner_a = signed_in("owner-a", "org")


@pytest.fixture
def shop(app, org):
    """The commerce set-up of ``factories_commerce.build_shop`` over ``org``."""
    with app.app_context():
        return build_shop(org)


guide_a = signed_in("guide-a", "shop")


@pytest.fixture
def as_ca(app, shop):
    """Bearer headers of the shop's customer ``ca`` (mini-program)."""
    with app.app_context():
        return customer_headers(shop.ca)


@pytest.fixture
def ring(client, app, shop, as_hq):
    """The shop's ring by weight, stocked by registered pieces (none yet)."""
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(client, as_hq, shop.ring, weight_mg=3_000, labour_g=10_00, labour_piece=0,
              tracks_pieces=True)  # fmt: skip
    from app.extensions import db
    from franchise.models import Product

    with app.app_context():
        db.session.get(Product, shop.ring).stock = 0
        db.session.commit()
    return shop.ring


@pytest.fixture
def inspected(client, app, org, shop, as_ca, as_hq, ring):
    """A paid delivery of the ring (two registered pieces in store A) and its inspection
    booked at store A; (order JSON, appointment id)."""
    register_piece(client, as_hq, ring, org.sa, serial="BAD-1")
    register_piece(client, as_hq, ring, org.sa, serial="GOOD-2")
    order = bought_ring(client, app, shop, as_ca, ring)
    return order, inspection_visit(app, org, shop, order["id"])
