"""The two in-memory snapshots of ``franchise_settings`` rows drop only when a row they are
built from changes: the franchise thresholds (``settings.SETTINGS_SNAPSHOT``, the keys of
``settings.SETTINGS``) and the member settings (``member_settings.CONFIG``, the row
``members.config``). A change of the other's key, or of a key neither holds (the
receiving limits), leaves a snapshot's value in place; a change of its own key refreshes
it; a bulk statement on the table, whose rows are unknown, drops both; whatever the order
of writes, what they serve is what the rows say."""

from __future__ import annotations

from sqlalchemy import update

from app.extensions import db, get_redis
from community.services import receiving_limit
from franchise.models import FranchiseSetting
from franchise.services import member_settings, settings, welcome_pg

THRESHOLDS, MEMBERS = settings.SETTINGS_SNAPSHOT, member_settings.CONFIG


def _versions() -> tuple[int, ...]:
    redis = get_redis()
    return tuple(int(redis.get(kind.version_key) or 0) for kind in (THRESHOLDS, MEMBERS))


def _current() -> tuple[dict, dict]:
    """Both values as the rows say now (read past the snapshots)."""
    return settings._read_settings(), member_settings.config()


def _put_other(value: int) -> None:
    """Store a key neither snapshot holds (the groups' daily cap) and commit."""
    row = db.session.get(FranchiseSetting, receiving_limit.CAP_KEY)
    if row is None:
        db.session.add(FranchiseSetting(key=receiving_limit.CAP_KEY, value=value))
    else:
        row.value = value
    db.session.commit()


def test_a_change_of_one_snapshots_key_leaves_the_other_in_place(ctx):
    thresholds, members = settings.all_settings(), member_settings.current()
    kept_members = MEMBERS.value()
    versions = _versions()
    settings.update_settings({"assignment.lock_days": 45})
    assert settings.get_setting("assignment.lock_days") == 45  # its own key: refreshed
    assert MEMBERS.value() is kept_members  # the member settings' snapshot stayed
    assert _versions() == (versions[0] + 1, versions[1])  # other processes keep theirs too
    kept_thresholds = THRESHOLDS.value()
    member_settings.save({"burn_cap_pct": 40})
    assert member_settings.current()["burn_cap_pct"] == 40
    assert THRESHOLDS.value() is kept_thresholds
    assert _versions() == (versions[0] + 1, versions[1] + 1)
    assert (settings.all_settings(), member_settings.current()) == _current()
    assert (thresholds["assignment.lock_days"], members["burn_cap_pct"]) == (30, 50)


def test_a_key_neither_holds_leaves_both_and_a_bulk_statement_drops_both(ctx):
    kept = THRESHOLDS.value(), MEMBERS.value()
    versions = _versions()
    _put_other(1)
    assert (THRESHOLDS.value(), MEMBERS.value()) == kept
    assert THRESHOLDS.value() is kept[0] and MEMBERS.value() is kept[1]
    assert _versions() == versions
    db.session.execute(
        update(FranchiseSetting)
        .where(FranchiseSetting.key == receiving_limit.CAP_KEY)
        .values(value=2)
    )
    db.session.commit()  # the rows a bulk statement wrote are unknown: both are dropped
    assert THRESHOLDS.value() is not kept[0] and MEMBERS.value() is not kept[1]
    assert _versions() == (versions[0] + 1, versions[1] + 1)


def test_whatever_the_writes_both_serve_what_the_rows_say(ctx, seeded_random):
    rng = seeded_random(0)
    for _ in range(40):
        choice = rng.randrange(3)
        if choice == 0:
            settings.update_settings({"assignment.lock_days": rng.randint(0, 3650)})
        elif choice == 1:
            member_settings.save({"burn_cap_pct": rng.randint(0, 100)})
        else:
            _put_other(rng.randint(1, receiving_limit.MAX_CAP))
        assert (settings.all_settings(), member_settings.current()) == _current()


def test_the_login_welcome_rules_drop_only_for_the_member_settings(ctx):
    """``welcome_pg.WELCOME_RULES`` is built from the member settings (and the coupon
    templates): a threshold's change leaves it in place, a member setting's refreshes it."""
    kept = welcome_pg.WELCOME_RULES.value()
    settings.update_settings({"assignment.lock_days": 45})
    _put_other(3)
    assert welcome_pg.WELCOME_RULES.value() is kept
    member_settings.save({"burn_cap_pct": 40})
    fresh = welcome_pg.WELCOME_RULES.value()
    assert fresh is not kept and fresh == welcome_pg._read_rules()
