"""Service rules that the API tests do not show: linked accounts and the demo seed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.errors import Conflict
from app.extensions import db
from franchise import services
from franchise.demo.organisation import seed_organisation
from franchise.models import Franchisee, Guide, Region, Store
from tests.fixtures.auth import gen_user
from tests.franchise.factories import gen_franchisee, gen_member, gen_store


def test_guide_account_follows_the_guide(ctx):
    store = gen_store()
    other = gen_store(gen_franchisee())
    user = gen_user("g1", "guide")
    gen_member("g1")
    guide = services.create_guide(
        {"store_id": store.id, "name": "G", "wecom_userid": "g1", "user_id": user.id}
    )
    db.session.refresh(user)
    assert (user.guide_id, user.store_id, user.franchisee_id) == (
        guide.id,
        store.id,
        store.franchisee_id,
    )
    services.update_guide(guide, {"store_id": other.id})
    db.session.refresh(user)
    assert (user.store_id, user.franchisee_id) == (other.id, other.franchisee_id)
    version = user.token_version
    services.guide_leaves(guide)
    db.session.refresh(user)
    assert not user.is_active_account and user.token_version == version + 1


def test_guide_user_must_be_a_guide_account(ctx):
    store = gen_store()
    owner = gen_user("o1", "franchise_owner")
    gen_member("gx")
    with pytest.raises(services.Invalid) as info:
        services.create_guide(
            {"store_id": store.id, "name": "G", "wecom_userid": "gx", "user_id": owner.id}
        )
    assert "user_id" in info.value.errors
    assert db.session.scalar(select(func.count()).select_from(Guide)) == 0


def test_default_franchisee_must_be_of_the_region(ctx):
    franchisee = gen_franchisee()
    elsewhere = db.session.get(Region, gen_franchisee().region_id)
    with pytest.raises(services.Invalid):
        services.update_region(elsewhere, {"default_franchisee_id": franchisee.id})
    own = db.session.get(Region, franchisee.region_id)
    services.update_region(own, {"default_franchisee_id": franchisee.id})
    assert own.default_franchisee_id == franchisee.id


def test_duplicate_store_code_is_conflict(ctx):
    store = gen_store()
    with pytest.raises(Conflict):
        services.create_store(
            {
                "franchisee_id": store.franchisee_id,
                "code": store.code,
                "name": "x",
                "city": "x",
                "latitude": 1.0,
                "longitude": 1.0,
            }
        )


def test_seed_is_complete_and_idempotent(app, ctx):
    lines = seed_organisation(app)
    assert any("admin" in line for line in lines)
    counts = {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (Region, Franchisee, Store, Guide)
    }
    assert counts == {"Region": 3, "Franchisee": 6, "Store": 12, "Guide": 30}
    usernames = set(db.session.scalars(select(User.username)))
    assert {"admin", "operator", "owner1", "owner6", "guide01", "guide30"} <= usernames
    guide = db.session.scalars(select(Guide).where(Guide.user_id.is_not(None))).first()
    user = db.session.get(User, guide.user_id)
    assert (user.guide_id, user.store_id) == (guide.id, guide.store_id)
    owner = db.session.scalars(select(User).where(User.username == "owner1")).one()
    assert owner.franchisee_id is not None and owner.check_password(app.config["DEMO_PASSWORD"])
    assert seed_organisation(app) == ["organisation: already seeded"]
    assert db.session.scalar(select(func.count()).select_from(Store)) == 12
