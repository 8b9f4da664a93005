"""The two one-way helpers of the dedupe round: a franchise service's write
(``franchise.services.base.committed``) and a page action's flashed outcome
(``app.web.page_action.flashed``)."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select

from app.errors import Conflict, DomainError
from app.extensions import add_hook, db, remove_hook
from app.web.page_action import flashed
from franchise.models import Region
from franchise.services.base import committed

HOOK = "tests.committed"


def _regions(code: str) -> int:
    return db.session.scalar(select(func.count()).where(Region.code == code)) or 0


def test_a_refusal_in_the_body_undoes_it_and_runs_no_hook(ctx):
    heard: list[int] = []
    add_hook(ctx, HOOK, heard.append)
    try:
        with pytest.raises(Conflict), committed([(HOOK, 1)]):
            db.session.add(Region(code="CMT-A", name="A"))
            db.session.flush()
            raise Conflict("refused", code="refused")
    finally:
        remove_hook(ctx, HOOK, heard.append)
    assert _regions("CMT-A") == 0 and heard == []


def test_the_body_is_committed_then_its_hooks_run(ctx):
    heard: list[int] = []

    def listener(object_id: int) -> None:  # the row is committed when the hook runs
        heard.append(object_id)
        assert db.session.get(Region, object_id) is not None

    add_hook(ctx, HOOK, listener)
    try:
        with committed() as after:
            region = Region(code="CMT-B", name="B")
            db.session.add(region)
            db.session.flush()
            after.append((HOOK, region.id))
    finally:
        remove_hook(ctx, HOOK, listener)
    db.session.rollback()  # nothing pending: the commit already happened
    assert _regions("CMT-B") == 1 and heard == [region.id]


def test_a_key_the_database_refuses_at_the_commit_is_the_named_error(ctx):
    with committed():
        db.session.add(Region(code="CMT-C", name="C"))
    with pytest.raises(DomainError) as refused, committed():
        db.session.add(Region(code="CMT-C", name="again"))
    assert refused.value.status == 409 and "code" in refused.value.errors
    assert _regions("CMT-C") == 1


@pytest.mark.parametrize("fails", [False, True])
def test_a_page_action_flashes_its_outcome(app, fails):
    with app.test_request_context("/admin/"):
        with flashed("Done."):
            if fails:
                raise Conflict("Not now.", code="not_now")
        expected = [("error", "Not now.")] if fails else [("success", "Done.")]
        assert get_flashed_messages(with_categories=True) == expected
