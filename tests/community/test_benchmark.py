"""Benchmark replication: the plans that reached a benchmark group → a template → plans for
the chosen groups (``group_ids``, ``template_id``) → the cohort compared with the benchmark;
the page; the CLI; the demo seeder (idempotent)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.clock import shanghai_day
from app.errors import DomainError
from app.extensions import db
from community.models import ContentPost, PushPlan, SendBatch, SlotAllocation
from community.services import allocation, benchmark
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.fixtures.auth import login


def test_template_from_benchmark_applied_and_compared(ctx, org):
    ann = db.session.get(Guide, org.ga)
    star = gen_wgroup(
        ann, stage="benchmark", member_count=200, customer_count=180, purchased_count=90
    )
    cohort_groups = [
        gen_wgroup(ann, stage="seeding", member_count=50, customer_count=40, purchased_count=4)
        for _ in range(3)
    ]
    with pytest.raises(DomainError):
        benchmark.make_template(star.id)  # not marked yet
    star.is_benchmark = True
    db.session.commit()
    plan = gen_plan(
        gen_post(title="标杆内容"),
        name="标杆计划",
        stages=["benchmark"],
        weekdays=[1, 3],
        send_time="19:30",
        priority=75,
    )
    gen_plan(gen_post(), stages=["cold_start"])  # never reached the benchmark group
    allocation.allocate(date(2026, 11, 24))
    template = benchmark.make_template(star.id)
    assert [p["name"] for p in template.plans] == ["标杆计划"]
    assert template.plans[0]["weekdays"] == [1, 3] and template.plans[0]["send_time"] == "19:30"
    cohort = benchmark.apply_template(template.id, [g.id for g in cohort_groups] + [999999])
    assert cohort.group_ids == sorted(g.id for g in cohort_groups)
    created = db.session.get(PushPlan, cohort.plan_ids[0])
    assert created.template_id == template.id and created.group_ids == cohort.group_ids
    assert created.post_id == plan.post_id and created.priority == 75
    figures = benchmark.compare(cohort)
    assert figures["benchmark"]["purchased_share"] == 0.5
    assert figures["cohort"]["purchased_share"] == 0.1
    assert figures["cohort"]["groups"] == 3


def test_benchmarks_page(client, org, app):
    with app.app_context():
        ann = db.session.get(Guide, org.ga)
        star = gen_wgroup(ann, is_benchmark=True, name="标杆群")
        gen_plan(gen_post())
        other = gen_wgroup(ann).id
        star_id = star.id
    login(client, "hq")
    html = client.get("/admin/benchmarks").get_data(as_text=True)
    assert "标杆群" in html
    from tests.fixtures.auth import csrf_token_from

    token = csrf_token_from(html)
    client.post("/admin/benchmarks/templates", data={"csrf_token": token, "group_id": star_id})
    with app.app_context():
        from community.models import BenchmarkTemplate

        template_id = db.session.scalar(select(BenchmarkTemplate.id))
    assert template_id
    client.post(
        f"/admin/benchmarks/templates/{template_id}/apply",
        data={"csrf_token": token, "group_ids": str(other)},
    )
    html = client.get("/admin/benchmarks").get_data(as_text=True)
    assert "data-cohort=" in html and "<svg" in html


def test_cli_allocate(app, org):
    with app.app_context():
        gen_wgroup(db.session.get(Guide, org.ga))
        gen_plan(gen_post())
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["community", "allocate", "--day", shanghai_day().isoformat(), "--batches"]
    )
    assert result.exit_code == 0, result.output
    assert "'allocated': 1" in result.output and "'batches': 1" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SlotAllocation)) == 1


def test_demo_seeder_is_idempotent(app, org):
    from community.demo.delivery import seed_delivery

    with app.app_context():
        assert seed_delivery(app) == []  # no groups yet: skipped
        ann = db.session.get(Guide, org.ga)
        for _ in range(3):
            gen_wgroup(ann, sandbox=None)
        lines = seed_delivery(app)
        assert "8 posts" in lines[0]
        posts = db.session.scalar(select(func.count()).select_from(ContentPost))
        batches = db.session.scalar(select(func.count()).select_from(SendBatch))
        assert posts == 8 and batches >= 1
        seed_delivery(app)
        assert db.session.scalar(select(func.count()).select_from(ContentPost)) == 8
        assert db.session.scalar(select(func.count()).select_from(SendBatch)) == batches
