"""The demo: the tag library reaches WeCom with its rule tags applied, and every demo
invite code gets a real WeCom join code (guide codes and the HQ campaign code)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import outbox
from app.extensions import db
from app.seed import seed_demo
from community.models.growth import InviteCode
from community.models.wecom_customers import CustomerTag, CustomerTagLink, TagGroup


@pytest.mark.slow
def test_demo_tags_and_join_codes(app, sandbox):
    seed_demo(app)
    with app.app_context():
        outbox.drain()
        assert db.session.scalar(select(func.count()).select_from(TagGroup)) == 5
        assert not db.session.scalars(
            select(CustomerTag).where(CustomerTag.wecom_id.is_(None))
        ).all()
        assert db.session.scalar(select(func.count()).select_from(CustomerTagLink)) > 0
        codes = db.session.scalars(select(InviteCode)).all()
        assert codes and all(c.qr_url and not c.join_way_error for c in codes)
    assert len(sandbox.data["corp_tags"]) == 5
