"""Fixtures for the community tests: the organisation with logins, HQ / owner / guide tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import outbox
from app.clock import shanghai_day
from app.extensions import db
from community.models import SendBatch
from community.services import allocation, delivery
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.community.factories_groups import build_org
from tests.fixtures.auth import built, signed_in

org = built(build_org)
as_hq = signed_in("hq", "org")
as_owner_a = signed_in("owner-a", "org")
as_guide_a = signed_in("guide-a", "org")


@pytest.fixture
def world(app, org):
    """Three guides' groups (Ann, Amy, Bob) with two plans allocated and batched today:
    ``(groups by guide, msgids by sender, sandbox)`` (the delivery tests' world)."""
    from app.wechat.sandbox import sandbox_state

    sandbox = sandbox_state(app)
    with app.app_context():
        ann, amy, bob = (db.session.get(Guide, i) for i in (org.ga, org.ga2, org.gb))
        groups = {
            "ann": gen_wgroup(ann, sandbox=sandbox, name="Ann 的群").id,
            "amy": gen_wgroup(amy, sandbox=sandbox, name="Amy 的群").id,
            "bob": gen_wgroup(bob, sandbox=sandbox, name="Bob 的群").id,
        }
        gen_plan(gen_post(title="金饰保养小知识"), name="保养", priority=70)
        gen_plan(gen_post(title="品牌故事"), name="品牌", priority=20)
        day = shanghai_day()
        allocation.allocate(day)
        delivery.create_batches(day)
        outbox.drain()
        msgids = {b.sender_userid: b.msgid for b in db.session.scalars(select(SendBatch))}
    return groups, msgids, sandbox


@pytest.fixture
def frozen_bucket(monkeypatch):
    """The re-plan trigger's clock held inside one 5-second bucket (no flaky roll-over)."""
    from datetime import UTC, datetime

    from community.services import replan_trigger

    moment = datetime(2026, 12, 7, 4, 0, 1, tzinfo=UTC)
    monkeypatch.setattr(replan_trigger, "utcnow", lambda: moment)
    return moment
