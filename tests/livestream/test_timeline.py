"""Timeline: default dates from the live day, the creation-day floor, board states, phase,
shifting, step edits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.clock import as_utc
from app.errors import Conflict
from app.extensions import db
from franchise.services.base import Invalid
from livestream.models import Campaign
from livestream.services import campaigns as service
from livestream.services import timeline

# 2026-05-20 12:00 Shanghai; a campaign created on 2026-03-01 (Shanghai)
LIVE = datetime(2026, 5, 20, 4, 0, tzinfo=UTC)
T = date(2026, 5, 20)


def _campaign(live_at=LIVE, created=datetime(2026, 3, 1, 2, 0, tzinfo=UTC)) -> Campaign:
    campaign = Campaign(name="x", mode="hq", live_at=live_at, created_at=created, status="draft")
    db.session.add(campaign)
    timeline.generate(campaign)
    db.session.commit()
    return campaign


def _dates(campaign) -> dict:
    return {s.kind: (s.starts_on, s.due_on) for s in campaign.steps}


def test_default_dates_for_a_live_in_60_days(ctx):
    campaign = _campaign(created=datetime(2026, 3, 21, 2, 0, tzinfo=UTC))  # T-60
    d = _dates(campaign)
    assert d["targets"] == (T - timedelta(days=60), T - timedelta(days=55))
    assert d["training"] == (T - timedelta(days=10), T - timedelta(days=7))
    assert d["warmup"] == (T - timedelta(days=3), T - timedelta(days=1))
    assert d["gate"] == (T - timedelta(days=1),) * 2
    assert d["live"] == (T, T)
    assert d["review"] == (T + timedelta(days=1),) * 2


def test_a_live_in_20_days_starts_no_step_before_creation(ctx):
    created = T - timedelta(days=20)
    campaign = _campaign(created=datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    d = _dates(campaign)
    assert d["targets"] == (created, created)
    assert d["training"] == (T - timedelta(days=10), T - timedelta(days=7))
    assert min(s for s, _ in d.values()) == created


def test_shanghai_day_decides_t(ctx):
    # 2026-05-20 17:00 UTC is 2026-05-21 01:00 in Shanghai
    campaign = _campaign(live_at=datetime(2026, 5, 20, 17, 0, tzinfo=UTC))
    assert _dates(campaign)["live"] == (date(2026, 5, 21),) * 2


def test_board_states_with_a_fixed_today(ctx):
    campaign = _campaign()
    targets = timeline.step_of(campaign, "targets")
    timeline.mark_done(targets.id, None)
    today = T - timedelta(days=8)  # training runs T-10..T-7
    states = {s["kind"]: s["state"] for s in timeline.board(campaign, today)}
    assert states == {
        "targets": "done",
        "training": "due",
        "warmup": "upcoming",
        "gate": "upcoming",
        "live": "upcoming",
        "review": "upcoming",
    }
    states = {s["kind"]: s["state"] for s in timeline.board(campaign, T)}
    assert states["training"] == "late" and states["warmup"] == "late"
    assert states["live"] == "due" and states["targets"] == "done"
    timeline.reopen(targets.id)
    assert timeline.board(campaign, T)[0]["state"] == "late"


def test_phase_follows_the_days_then_the_status(ctx):
    campaign = _campaign()
    assert timeline.phase(campaign, T - timedelta(days=90)) == "targets"
    assert timeline.phase(campaign, T - timedelta(days=30)) == "targets"
    assert timeline.phase(campaign, T - timedelta(days=9)) == "training"
    assert timeline.phase(campaign, T - timedelta(days=2)) == "warmup"
    assert timeline.phase(campaign, T - timedelta(days=1)) == "gate"
    assert timeline.phase(campaign, T) == "live"
    campaign.status = "ended"
    assert timeline.phase(campaign, T) == "review"
    campaign.status = "cancelled"
    assert timeline.phase(campaign, T) == "cancelled"


def test_shift_moves_open_steps_and_keeps_done_ones(ctx):
    campaign = _campaign()
    training = timeline.step_of(campaign, "training")
    timeline.edit_step(training.id, T - timedelta(days=12), T - timedelta(days=9))
    targets = timeline.step_of(campaign, "targets")
    timeline.mark_done(targets.id, None)
    old = campaign.live_at
    campaign.live_at = LIVE + timedelta(days=5)
    timeline.shift(campaign, old)
    d = _dates(campaign)
    assert d["training"] == (T - timedelta(days=7), T - timedelta(days=4))  # HQ's edit kept
    assert d["live"] == (T + timedelta(days=5),) * 2
    assert d["targets"] == (T - timedelta(days=60), T - timedelta(days=55))  # done: unmoved
    assert timeline.training_due_on(campaign.id) == T - timedelta(days=4)


def test_step_edits_are_validated(ctx):
    campaign = _campaign()
    step = campaign.steps[0]
    with pytest.raises(Invalid) as exc:
        timeline.edit_step(step.id, T, T - timedelta(days=1))
    assert "due_on" in exc.value.errors
    with pytest.raises(Invalid):
        timeline.edit_step(step.id, title="")
    custom = timeline.add_step(campaign, "彩排", T - timedelta(days=2), T - timedelta(days=2))
    assert custom.kind == "custom"
    timeline.mark_done(custom.id, None)
    with pytest.raises(Conflict):
        timeline.mark_done(custom.id, None)


def test_service_create_generates_timeline_from_form_values(ctx, app):
    from werkzeug.datastructures import MultiDict

    from app.web.form_input import form_values
    from livestream.schemas import CampaignInputSchema
    from tests.livestream.factories import build_live_org

    org = build_live_org()
    day = date.today() + timedelta(days=40)
    form = MultiDict(
        {
            "name": "表单",
            "mode": "hq",
            "live_date": day.isoformat(),
            "live_time": "20:00",
            "region_ids": str(org.north),
        }
    )  # the service takes JSON values: form text goes through the pages' one path
    campaign = service.save_campaign(form_values(CampaignInputSchema(), form))
    assert timeline.live_day(campaign) == day
    assert as_utc(campaign.live_at).hour == 12  # 20:00 Shanghai
    assert [s.store_id for s in campaign.stores] == [org.c1]
