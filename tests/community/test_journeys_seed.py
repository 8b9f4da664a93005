"""The demo: seven journeys (the points reminders among them) with their posts,
tonight's enrolment and today's sends; a second seed changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.seed import seed_demo
from community.models.journeys import Journey, JourneyEnrolment


@pytest.mark.slow
def test_demo_journeys(app, sandbox):
    seed_demo(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Journey)) == 7
        enrolled = db.session.scalar(select(func.count()).select_from(JourneyEnrolment))
    seed_demo(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Journey)) == 7
        assert db.session.scalar(select(func.count()).select_from(JourneyEnrolment)) == enrolled
