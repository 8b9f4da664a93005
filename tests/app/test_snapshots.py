"""``app.snapshots``: a value built once and shared until a commit touches its rows; a
bulk statement through the session counts as a touch; a build that raced a commit of this
process answers its own request but is not kept; another process's bump is seen at the
next version check."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import update

from app import snapshots
from app.extensions import db, get_redis
from app.snapshots import SnapshotKind
from franchise.models import Product
from tests.franchise.factories_commerce import gen_product

builds: list[int] = []


def _count_products() -> int:
    builds.append(1)
    return db.session.query(Product).count()


KIND = SnapshotKind("test-products", _count_products, (Product,))


def test_built_once_then_dropped_by_a_commit_or_a_bulk_statement(ctx):
    builds.clear()
    gen_product()
    assert KIND.value() == 1 and KIND.value() == 1 and len(builds) == 1
    gen_product()  # an ORM insert
    assert KIND.value() == 2 and len(builds) == 2
    db.session.execute(update(Product).values(stock=Product.stock + 1))  # a bulk UPDATE
    db.session.commit()
    assert KIND.value() == 2 and len(builds) == 3
    version = int(get_redis().get(KIND.version_key))
    assert version == 3  # each of the three commits that touched products bumped it


def test_a_build_racing_a_commit_is_not_kept(ctx):
    calls = []

    def build_while_a_commit_lands() -> int:
        calls.append(1)
        if len(calls) == 1:
            kind.of(current_app).invalidate()  # this process committed a change mid-build
        return len(calls)

    kind = SnapshotKind("test-race", build_while_a_commit_lands, (Product,))
    assert kind.value() == 1  # the racing build answers its own request
    assert kind.value() == 2  # but was not kept
    assert kind.value() == 2


def test_another_process_bump_is_seen_at_the_next_check(ctx, monkeypatch):
    builds.clear()
    assert KIND.value() == 0
    get_redis().incr(KIND.version_key)  # another process committed a product change
    assert KIND.value() == 0 and len(builds) == 1  # within CHECK_SECONDS
    monkeypatch.setattr(snapshots, "CHECK_SECONDS", 0.0)
    assert KIND.value() == 0 and len(builds) == 2
