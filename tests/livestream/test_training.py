"""Training service: default template, answering (ticks, right / wrong / retry),
completion with the late flag, roll-ups per level, the template editor's rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import shanghai_day
from app.errors import NotFound
from app.extensions import db
from franchise.models import Guide
from franchise.services.base import Invalid
from livestream.models import ChecklistItem, TimelineStep, TrainingProgress
from livestream.services import training as service
from livestream.services import training_board as board
from tests.livestream.scenarios import make_campaign


def complete(campaign_id, guide_id):
    """Work through every item correctly."""
    for item in service.items_of(campaign_id):
        service.answer(campaign_id, guide_id, item.id, item.expected_answer)
    return service.progress_for(campaign_id, guide_id, create=False)


def test_default_template_from_the_lineup(app, live_org):
    with app.app_context():
        campaign = make_campaign(live_org, coupon=True)
        items = service.items_of(campaign.id)
        kinds = [i.kind for i in items]
        assert kinds == [
            "products",
            "discounts",
            "perks",
            "talk_track",
            "link_check",
            "question",
            "question",
            "question",
        ]
        names = [li.product.name for li in campaign.lineup]
        products = items[0].body
        assert all(n in products for n in names)
        assert "¥1,999.00" in products and "¥1,599.20" in products  # list → live price
        assert "20%" in items[1].body
        assert "满 ¥1,000.00 减 ¥100.00" in items[2].body
        questions = items[5:]
        assert questions[0].title == f"直播价是多少元？ {names[0]}"
        assert [q.expected_answer for q in questions] == ["1599.20", "4704", "10240"]
        assert [i.sort for i in items] == list(range(8))
        # a second call keeps the existing items
        assert len(service.default_template(campaign.id)) == 8


@pytest.mark.parametrize(
    ("given", "expected", "ok"),
    [
        ("4704", "4704", True),
        ("4704.00", "4704", True),
        ("¥4,704", "4704", True),
        ("4704元", "4704", True),
        ("1599.2", "1599.20", True),
        ("1599", "1599.20", False),
        ("  Gold ", "gold", True),
        ("silver", "gold", False),
        ("nan", "nan", True),
    ],
)
def test_answer_matching(given, expected, ok):
    assert service.answer_matches(given, expected) is ok


def test_ticks_and_questions_with_a_wrong_answer_then_retry(app, live_org):
    with app.app_context():
        campaign = make_campaign(live_org)
        items = service.items_of(campaign.id)
        tick, question = items[0], items[5]
        progress = service.answer(campaign.id, live_org.ga1, tick.id, None)
        assert progress.started_at is not None and progress.completed_at is None
        progress = service.answer(campaign.id, live_org.ga1, question.id, "1000")
        wrong = service.answers_by_item(progress)[question.id]
        assert (wrong.answer, wrong.correct) == ("1000", False)
        assert service.counts(items, progress) == (1, 8)
        progress = service.answer(campaign.id, live_org.ga1, question.id, " 1599.2 ")
        right = service.answers_by_item(progress)[question.id]
        assert (right.answer, right.correct) == ("1599.2", True)
        # a right answer stays right
        service.answer(campaign.id, live_org.ga1, question.id, "nonsense")
        assert service.answers_by_item(progress)[question.id].correct is True
        with pytest.raises(Invalid):
            service.answer(campaign.id, live_org.ga1, question.id, "   ")
        with pytest.raises(Invalid):
            service.answer(campaign.id, live_org.ga1, items[6].id, "9" * 129)
        done = complete(campaign.id, live_org.ga1)
        assert done.completed_at is not None and done.is_late is False
        assert db.session.query(TrainingProgress).count() == 1


def test_optional_items_do_not_block_completion(app, live_org):
    with app.app_context():
        campaign = make_campaign(live_org)
        extra = service.save_item(
            campaign.id, {"kind": "talk_track", "title": "Bonus", "required": False}
        )
        for item in service.items_of(campaign.id):
            if item.id != extra.id:
                service.answer(campaign.id, live_org.ga1, item.id, item.expected_answer)
        progress = service.progress_for(campaign.id, live_org.ga1, create=False)
        assert progress.completed_at is not None


def test_late_flag_and_overdue_when_the_due_day_has_passed(app, live_org):
    with app.app_context():
        campaign = make_campaign(live_org, live_in_days=3)  # due = live day - 7: passed
        assert service.training_due_day(campaign) < shanghai_day()
        progress = complete(campaign.id, live_org.ga1)
        assert progress.is_late is True
        rows = {r["id"]: r for r in board.completion(campaign.id, "guide")}
        assert rows[live_org.ga1]["late"] == 1 and rows[live_org.ga1]["overdue"] == 0
        assert rows[live_org.ga1b]["overdue"] == 1 and rows[live_org.ga1b]["late"] == 0
        # a training step due in the future wins over the fallback
        day = shanghai_day()
        db.session.add(
            TimelineStep(
                campaign_id=campaign.id,
                kind="training",
                title="t",
                starts_on=day,
                due_on=day + timedelta(days=1),
            )
        )
        db.session.commit()
        assert service.training_due_day(campaign) == day + timedelta(days=1)
        rows = {r["id"]: r for r in board.completion(campaign.id, "guide")}
        assert rows[live_org.ga1b]["overdue"] == 0
        progress = complete(campaign.id, live_org.ga2)
        assert progress.is_late is False


def test_roll_ups_per_level(app, live_org):
    with app.app_context():
        campaign = make_campaign(live_org)
        complete(campaign.id, live_org.ga1)
        complete(campaign.id, live_org.gb1)
        stores = {r["id"]: r for r in board.completion(campaign.id, "store")}
        assert set(stores) == {live_org.a1, live_org.a2, live_org.b1}
        assert (stores[live_org.a1]["guides"], stores[live_org.a1]["trained"]) == (2, 1)
        assert stores[live_org.a1]["pct"] == 50.0 and stores[live_org.a2]["pct"] == 0.0
        franchisees = {r["id"]: r for r in board.completion(campaign.id, "franchisee")}
        assert franchisees[live_org.fa]["pct"] == 25.0 and franchisees[live_org.fb]["pct"] == 50.0
        regions = board.completion(campaign.id, "region")
        assert [(r["id"], r["guides"], r["trained"]) for r in regions] == [(live_org.east, 6, 2)]
        assert regions[0]["name"] == "华东"
        guides = board.completion(campaign.id, "guide")
        assert len(guides) == 6 and sum(r["trained"] for r in guides) == 2
        assert service.trained_by_store(campaign.id) == {
            live_org.a1: (1, 2),
            live_org.a2: (0, 2),
            live_org.b1: (1, 2),
        }
        # a guide who left no longer counts
        db.session.get(Guide, live_org.ga1b).status = "left"
        db.session.commit()
        assert service.trained_by_store(campaign.id)[live_org.a1] == (1, 1)
        with pytest.raises(ValueError):
            board.completion(campaign.id, "planet")


def test_ensure_progress_for_active_guides_of_participating_stores(app, live_org):
    with app.app_context():
        campaign = make_campaign(live_org)
        db.session.get(Guide, live_org.ga1b).status = "left"
        db.session.commit()
        assert service.ensure_progress(campaign.id) == 5
        assert service.ensure_progress(campaign.id) == 0
        row = db.session.query(TrainingProgress).filter_by(guide_id=live_org.gb1).one()
        assert (row.store_id, row.franchisee_id, row.region_id) == (
            live_org.b1,
            live_org.fb,
            live_org.east,
        )
        with pytest.raises(NotFound):  # C1 does not take part
            service.progress_for(campaign.id, live_org.gc1)
        with pytest.raises(NotFound):  # nor may a guide who left start
            service.progress_for(campaign.id, live_org.ga1b)


def test_template_editing_rules(app, live_org):
    with app.app_context():
        campaign = make_campaign(live_org)
        other = make_campaign(live_org)
        with pytest.raises(Invalid) as exc:
            service.save_item(campaign.id, {"kind": "question", "title": "Q?"})
        assert "expected_answer" in exc.value.errors
        for bad in ({"kind": "poem", "title": "x"}, {"kind": "perks", "title": ""}):
            with pytest.raises(Invalid):
                service.save_item(campaign.id, bad)
        item = service.save_item(
            campaign.id,
            {"kind": "perks", "title": " Gift ", "expected_answer": "ignored", "body": "b"},
        )
        assert (item.title, item.expected_answer, item.sort) == ("Gift", None, 8)
        item = service.save_item(campaign.id, {"kind": "question", "expected_answer": "42"}, item)
        assert (item.kind, item.title, item.expected_answer) == ("question", "Gift", "42")
        with pytest.raises(NotFound):
            service.save_item(other.id, {"title": "x"}, item)
        service.move_item(item.id, "up", campaign.id)
        ids = [i.id for i in service.items_of(campaign.id)]
        assert ids.index(item.id) == 7
        first = ids[0]
        service.move_item(first, "up", campaign.id)  # already first: stays
        assert service.items_of(campaign.id)[0].id == first
        with pytest.raises(Invalid):
            service.move_item(first, "sideways", campaign.id)
        with pytest.raises(NotFound):
            service.delete_item(item.id, other.id)
        service.answer(campaign.id, live_org.ga1, item.id, "42")
        service.delete_item(item.id, campaign.id)
        assert db.session.get(ChecklistItem, item.id) is None
        progress = service.progress_for(campaign.id, live_org.ga1, create=False)
        assert progress.answers == []
        with pytest.raises(NotFound):  # an item of another campaign
            service.answer(campaign.id, live_org.ga1, service.items_of(other.id)[0].id, None)
