"""The demo seeder: every guide gets a code and contacts, the same people as existing
customers are linked to them; a second run adds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db, registry
from community.demo.contacts import seed_contacts
from community.models.contacts import ContactFollow, ContactWay, WecomContact
from franchise.models import ACTIVE, Customer, Guide


@pytest.mark.slow
def test_demo_seed_gives_every_guide_contacts_linked_where_the_same_person(app):
    seeders = registry(app).seeders
    for seeder in seeders[: seeders.index(seed_contacts) + 1]:
        with app.app_context():
            seeder(app)
    with app.app_context():
        assert seed_contacts(app) == ["community contacts: already seeded"]
        guides = db.session.scalars(select(Guide.id).where(Guide.status == ACTIVE)).all()
        with_contacts = set(db.session.scalars(select(ContactFollow.guide_id).distinct()).all())
        assert guides and set(guides) <= with_contacts
        assert db.session.scalar(select(func.count()).select_from(ContactWay)) >= len(guides)
        linked = db.session.scalars(
            select(WecomContact).where(WecomContact.customer_id.is_not(None))
        ).all()
        assert linked
        for contact in linked:
            assert db.session.get(Customer, contact.customer_id).unionid == contact.unionid
