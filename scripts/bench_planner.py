"""Benchmark: the planner over 14 days for N groups and P plans (goal: 100,000 groups and
50 plans on PostgreSQL in under 60 s).

A fresh database (SQLite file in a temp dir, or ``--database-url``) gets the delivery
benchmark's organisation and groups (``bench_delivery.build_org``: one franchisee, G
guides, N groups over two stages, two segments and 60 creation days) and P plans of
every kind: weekly on 1 to 3 weekdays, a new group's day-N post, dated posts (new
product, care), priorities 10..90 with ties; 8 are HQ's plans for every group (some by
stage or segment), the others store-level campaigns each over its share of the stores. Timed: the
first ``planner.replan`` (everything new), a second one (nothing changed: the
diff path a nightly run takes), and after one group's stage changes the targeted
re-plan its ``community.replan`` outbox row asks for (``group_ids=[that group]``) next
to a full re-plan of the same change (the stage flipped back), and after one plan aimed
at a stage is edited the re-plan of that stage's groups its outbox row asks for next to
a full re-plan of the same edit (edited back) — for a plan aimed at a stage and for a
store-level plan — and those plans' reach previews next to the same decision over every
group. Checked: no group gets
more than the daily cap on a day or the policy in its period, every placed row is inside
its window. Prints one JSON line.

    python scripts/bench_planner.py                         # 100,000 groups, 50 plans
    python scripts/bench_planner.py --groups 2000 --plans 10
    python scripts/bench_planner.py --database-url postgresql+psycopg://siyu:siyu@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.bench_baseline import pgbench_load_seconds, pgbench_tps, verdict  # noqa: E402
from scripts.bench_delivery import build_org  # noqa: E402
from scripts.bench_setup import bench_app, bench_url  # noqa: E402

GOAL_SECONDS = 60.0


GLOBAL_PLANS = 8  # HQ's plans for every group; the rest are store-level campaigns
# the plans the plan-edit figures edit: "计划 1", HQ's weekly plan for the lifecycle stage
# (about half the groups), and "计划 8", a weekly store-level campaign (its stores' groups)
STAGE_PLAN, STORES_PLAN = 1, GLOBAL_PLANS


def make_plans(app, count: int) -> None:
    """``count`` plans of every schedule kind and purpose (not timed): ``GLOBAL_PLANS``
    HQ plans over every group (some by stage or segment), the rest each aimed at its own
    share of the stores, as store-level campaigns are."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.clock import shanghai_day
    from app.extensions import db
    from community.services import content, plans
    from franchise.models import Store

    today = shanghai_day()
    with app.app_context():
        stores = list(db.session.scalars(select(Store.id).order_by(Store.id)))
        posts = [
            content.save_post({"title": f"帖 {p}", "purpose": p, "text": f"{p}：欢迎到店。"})
            for p in ("knowledge", "new_product", "care", "brand_story")
        ]
        local = max(1, count - GLOBAL_PLANS)
        for n in range(count):
            kind = ("weekly", "weekly", "relative", "dates")[n % 4]
            data: dict = {
                "name": f"计划 {n}",
                "post_id": posts[n % len(posts)].id,
                "send_time": "10:00",
                "priority": 10 + (n % 9) * 10,
                "schedule_kind": kind,
            }
            if kind == "weekly":
                data["weekdays"] = sorted({(n + i * 3) % 7 for i in range(1 + n % 3)})
            elif kind == "relative":
                data["relative_day"] = n % 5
            else:
                data["dates"] = [(today + timedelta(days=3 + n % 10)).isoformat()]
            if n % 5 == 1:
                data["stages"] = ["lifecycle"]
            if n % 7 == 2:
                data["segments"] = ["purchased"]
            if n >= GLOBAL_PLANS:
                data["store_ids"] = stores[(n - GLOBAL_PLANS) :: local]
            plans.save_plan(data)


def check(app) -> dict:
    """Per group and day within the cap and the policy; every placed row in its window."""
    from sqlalchemy import select

    from app.extensions import db
    from community.models import ALLOCATED, MISSED, SlotAllocation
    from community.services import receiving_limit
    from community.services.planner_core import period_limit, period_of

    with app.app_context():
        policy, cap = receiving_limit.policy(), receiving_limit.daily_cap()
        rows = db.session.execute(
            select(SlotAllocation.group_id, SlotAllocation.day, SlotAllocation.status,
                   SlotAllocation.deadline, SlotAllocation.reason)
        ).all()  # fmt: skip
    per_day = Counter((r.group_id, r.day) for r in rows if r.status == ALLOCATED)
    per_period = Counter(
        (g, period_of(policy, d)[0]) for (g, d), n in per_day.items() for _ in range(n)
    )
    return {
        "rows": len(rows),
        "over_cap": sum(1 for n in per_day.values() if n > cap),
        "over_policy": sum(1 for (g, p), n in per_period.items() if n > period_limit(policy, p)),
        "outside_window": sum(1 for r in rows if r.status == ALLOCATED and r.day > r.deadline),
        "missed_without_reason": sum(1 for r in rows if r.status == MISSED and not r.reason),
        "groups_planned": len({r.group_id for r in rows}),
    }


def stage_change_replans(days: int) -> tuple[dict, dict]:
    """Flip one group's stage and re-plan only it (as the outbox handler does), then flip
    it back and re-plan everything; each result with its wall-clock ``seconds``."""
    from sqlalchemy import select, update

    from app.clock import shanghai_day
    from app.extensions import db
    from community.models import WecomGroup
    from community.services import planner

    def flip() -> int:
        group_id, stage = db.session.execute(
            select(WecomGroup.id, WecomGroup.stage).order_by(WecomGroup.id).limit(1)
        ).one()
        new = "lifecycle" if stage != "lifecycle" else "seeding"
        db.session.execute(update(WecomGroup).where(WecomGroup.id == group_id).values(stage=new))
        db.session.commit()
        return group_id

    group_id = flip()
    t0 = time.perf_counter()
    targeted = planner.replan(shanghai_day(), days, group_ids=[group_id])
    t1 = time.perf_counter()
    flip()
    t2 = time.perf_counter()
    full = planner.replan(shanghai_day(), days)
    t3 = time.perf_counter()
    return targeted | {"seconds": round(t1 - t0, 3)}, full | {"seconds": round(t3 - t2, 2)}


def plan_edit_replans(app, days: int, number: int) -> tuple[dict, dict]:
    """Edit plan ``number`` (weekly, aimed at a stage or at stores: its weekdays move a day)
    with the re-plan trigger on and run the
    ``community.replan`` row it asks for (the groups of its target, ``replan_scope``), then
    edit it back and re-plan everything; each result with its wall-clock ``seconds``."""
    from sqlalchemy import delete, select

    from app import outbox
    from app.clock import shanghai_day
    from app.extensions import db
    from community.models import PushPlan
    from community.services import planner, plans, replan_trigger

    def edit(plan: PushPlan, weekdays: list[int]) -> None:
        values = {k: getattr(plan, k) for k in plans.PLAN_COLUMNS}
        plans.save_plan(values | {"weekdays": weekdays}, plan)

    with app.app_context():
        plan = db.session.scalars(
            select(PushPlan).where(PushPlan.name == f"计划 {number}").limit(1)
        ).one()
        assert plan.schedule_kind == "weekly" and (plan.stages or plan.store_ids)
        weekdays, moved = list(plan.weekdays), sorted({(d + 1) % 7 for d in plan.weekdays})
        db.session.execute(delete(outbox.OutboxMessage))
        db.session.commit()
        app.config["COMMUNITY_REPLAN_ON_CHANGE"] = True
        try:
            edit(plan, moved)
        finally:
            app.config["COMMUNITY_REPLAN_ON_CHANGE"] = False
        message = db.session.scalars(
            select(outbox.OutboxMessage).where(
                outbox.OutboxMessage.kind == replan_trigger.REPLAN_KIND
            )
        ).one()
        payload = message.payload
        t0 = time.perf_counter()
        targeted = replan_trigger.replan_handler(message)
        t1 = time.perf_counter()
        db.session.execute(delete(outbox.OutboxMessage))
        db.session.commit()
        edit(plan, weekdays)
        t2 = time.perf_counter()
        full = planner.replan(shanghai_day(), days)
        t3 = time.perf_counter()
    targets = payload.get("targets", [])
    targeted |= {"seconds": round(t1 - t0, 3), "target": sorted(k for t in targets for k in t)}
    return targeted, full | {"seconds": round(t3 - t2, 2)}


def preview_seconds(app, number: int) -> tuple[float, float]:
    """The reach preview of plan ``number`` (what the plan page shows and a save checks),
    which decides only the groups the plan targets, next to the same decision over every
    group (as the preview did before): wall-clock seconds of each."""
    from sqlalchemy import select

    from app.clock import shanghai_day
    from app.extensions import db
    from community.models import PushPlan
    from community.services import planner, plans, schedule

    with app.app_context(), app.test_request_context():
        plan = db.session.scalars(select(PushPlan).where(PushPlan.name == f"计划 {number}")).one()
        values = {k: getattr(plan, k) for k in plans.PLAN_COLUMNS}
        t0 = time.perf_counter()
        schedule.preview(values, plan)
        t1 = time.perf_counter()
        with planner.without_cyclic_gc():
            planner.compute(planner.horizon(shanghai_day()), plan)
        t2 = time.perf_counter()
        db.session.rollback()
    return round(t1 - t0, 3), round(t2 - t1, 2)


EDIT_KEYS = ("target", "due", "new", "changed", "removed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--guides", type=int, default=10_000)
    parser.add_argument("--plans", type=int, default=50)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--policy", default="month", choices=("month", "week", "day"))
    parser.add_argument("--daily-cap", type=int, default=3)
    parser.add_argument(
        "--database-url", default=None, help="default: a fresh SQLite file in a temp dir"
    )
    parser.add_argument(
        "--pgbench-seconds", type=int, default=20, help="0: no pgbench baseline (PostgreSQL)"
    )
    args = parser.parse_args()
    url = bench_url(args.database_url)
    app = bench_app(url, COMMUNITY_REPLAN_ON_CHANGE=False)
    from app.clock import shanghai_day
    from community.services import planner, receiving_limit

    setup = time.perf_counter()
    build_org(app, args.groups, min(args.guides, args.groups))
    make_plans(app, args.plans)
    with app.app_context():
        receiving_limit.update(args.policy, args.daily_cap)
    setup_s = time.perf_counter() - setup
    with app.app_context():
        t0, c0 = time.perf_counter(), time.process_time()
        first = planner.replan(shanghai_day(), args.days)
        t1, c1 = time.perf_counter(), time.process_time()
        again = planner.replan(shanghai_day(), args.days)
        t2, c2 = time.perf_counter(), time.process_time()
        one_group, one_full = stage_change_replans(args.days)
    stage_edit, stage_full = plan_edit_replans(app, args.days, STAGE_PLAN)
    stores_edit, stores_full = plan_edit_replans(app, args.days, STORES_PLAN)
    stage_preview = preview_seconds(app, STAGE_PLAN)
    stores_preview = preview_seconds(app, STORES_PLAN)
    checked = check(app)
    baseline = {}
    if url.startswith("postgresql") and args.pgbench_seconds:
        # The same run's baseline: PostgreSQL loading 1,000,000 pgbench rows (the planner's
        # first run is a bulk load of ~1.8 million rows) and pgbench's TPC-B-like rate.
        load_s = pgbench_load_seconds(url, 10)
        baseline = {
            "pgbench_load_1m_rows_seconds": round(load_s, 2),
            "pgbench_tps": round(pgbench_tps(url, 4, args.pgbench_seconds), 1),
        }
    sound = not any(checked[k] for k in ("over_cap", "over_policy", "outside_window"))
    sound = sound and not checked["missed_without_reason"]
    print(
        json.dumps(
            {
                "benchmark": "community_planner_horizon",
                "database": url.split(":", 1)[0].split("+", 1)[0],
                "groups": args.groups,
                "plans": args.plans,
                "days": args.days,
                "policy": args.policy,
                "daily_cap": args.daily_cap,
                "setup_seconds": round(setup_s, 1),
                "plan_seconds": round(t1 - t0, 2),
                "replan_unchanged_seconds": round(t2 - t1, 2),
                # this process's CPU (the database's work is not in it): on a shared
                # machine the wall clock above also holds the wait for a core
                "plan_cpu_seconds": round(c1 - c0, 2),
                "replan_unchanged_cpu_seconds": round(c2 - c1, 2),
                # one group's stage changed: the targeted re-plan the outbox row runs,
                # and a full re-plan of the same change for comparison
                "one_group_replan_seconds": one_group["seconds"],
                "one_group_full_replan_seconds": one_full["seconds"],
                "one_group": {k: one_group[k] for k in ("due", "new", "changed", "removed")},
                # one plan aimed at a stage (then one at stores) edited, its weekdays:
                # the re-plan of its target its outbox row runs, and a full re-plan of
                # the same edit
                "plan_edit_stage_replan_seconds": stage_edit["seconds"],
                "plan_edit_stage_full_replan_seconds": stage_full["seconds"],
                "plan_edit_stage": {k: stage_edit[k] for k in EDIT_KEYS},
                "plan_edit_stores_replan_seconds": stores_edit["seconds"],
                "plan_edit_stores_full_replan_seconds": stores_full["seconds"],
                "plan_edit_stores": {k: stores_edit[k] for k in EDIT_KEYS},
                # the reach preview of those plans (its groups only) and the same
                # decision over every group
                "preview_stage_seconds": stage_preview[0],
                "preview_stage_all_groups_seconds": stage_preview[1],
                "preview_stores_seconds": stores_preview[0],
                "preview_stores_all_groups_seconds": stores_preview[1],
                "first": first,
                "unchanged": {k: again[k] for k in ("new", "changed", "removed")},
                **checked,
                **baseline,
                "goal_seconds": GOAL_SECONDS,
                **verdict(args.groups, checked["groups_planned"], sound and t1 - t0 < GOAL_SECONDS),
            },
            ensure_ascii=False,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
