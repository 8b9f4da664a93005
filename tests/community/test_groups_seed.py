"""The demo seeder: syncs the sandbox's demo groups into all four stages; idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db, registry
from community.demo.groups import seed_groups
from community.models.groups import GroupStageChange, WecomGroup
from community.models.growth import InviteCode


@pytest.mark.slow
def test_demo_seed_spreads_groups_over_every_stage(app):
    seeders = registry(app).seeders
    for seeder in seeders[: seeders.index(seed_groups) + 1]:
        with app.app_context():
            seeder(app)
    with app.app_context():
        assert seed_groups(app) == ["community groups: already synced"]
    with app.app_context():
        stages = dict(
            db.session.execute(
                select(WecomGroup.stage, func.count()).group_by(WecomGroup.stage)
            ).all()
        )
        assert set(stages) == {"cold_start", "seeding", "benchmark", "lifecycle"}
        assert sum(stages.values()) == 60
        assert db.session.scalar(select(func.count()).select_from(GroupStageChange)) >= 45
        assert db.session.scalar(select(func.count()).select_from(InviteCode)) >= 2
        assert (
            db.session.scalar(
                select(func.count()).select_from(WecomGroup).where(WecomGroup.guide_id.is_(None))
            )
            == 0
        )
