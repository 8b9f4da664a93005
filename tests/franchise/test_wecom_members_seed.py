"""The demo corp's directory: every demo guide is a member under their store's department,
three colleagues are not linked yet (the picker offers them), and a second run adds none."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db, registry
from franchise.demo.wecom_members import NEW_COLLEAGUES, seed_wecom_members
from franchise.models import Guide, WecomMember
from franchise.services.wecom_members import members_stmt


def test_demo_directory_holds_the_guides_and_three_free_colleagues(app):
    seeders = registry(app).seeders
    for seeder in seeders[: seeders.index(seed_wecom_members) + 1]:
        with app.app_context():
            seeder(app)
    with app.app_context():
        seed_wecom_members(app)  # again: the same rows
        guides = db.session.scalars(select(Guide)).all()
        assert guides and all(g.wecom_member is not None for g in guides)
        assert all(g.wecom_name == f"{g.name} · {g.store_name}" for g in guides)
        free = db.session.scalars(members_stmt(linked=False)).all()
        assert sorted(m.userid for m in free) == sorted(u for u, _ in NEW_COLLEAGUES)
        total = len(db.session.scalars(select(WecomMember)).all())
        assert total == len(guides) + len(NEW_COLLEAGUES)
