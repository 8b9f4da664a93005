"""Registration of the community delivery area: content library, push plans, the daily
slot allocator, guide-confirmed delivery, care reminders and benchmark replication.

Settings defaults, blueprints (JSON API under ``/api/v1``, admin pages under ``/admin``,
guide pages under ``/m``), the allocation-reason template helper and the content form's
body limit, the "Community" admin navigation group, guide tabs and today figures,
scheduler jobs, outbox handlers (``community.send_batch``, ``community.send_care``) and
the demo content and plans (``community.demo.delivery``). Its commands (``flask
community allocate``, ``readback``) are in ``community.cli``.
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE, HQ_ROLES
from app.extensions import register_area
from app.outbox import register_handler
from app.scheduler import register_job
from app.web.dashboard import add_dashboard
from app.web.i18n import N_
from app.web.today import add_today

COMMUNITY = N_("Community")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (COMMUNITY, N_("Content library"), "community_content.posts", HQ_ROLES, "content", 410),
    (COMMUNITY, N_("Push plans"), "community_plans.plans", HQ_ROLES, "calendar", 411),
    (COMMUNITY, N_("Allocation"), "community_plans.allocation", ADMIN_UI_ROLES, "calendar", 412),
    (
        COMMUNITY,
        N_("Planning calendar"),
        "community_schedule.calendar",
        ADMIN_UI_ROLES,
        "calendar",
        415,
    ),
    (COMMUNITY, N_("Delivery monitor"), "community_delivery.monitor", ADMIN_UI_ROLES, "chart", 413),
    (COMMUNITY, N_("Benchmarks"), "community_benchmark.benchmarks", HQ_ROLES, "target", 414),
)
MOBILE_NAV = (
    (COMMUNITY, N_("Today's sends"), "community_tasks.tasks", (GUIDE,), "task", 410),
    (COMMUNITY, N_("Care"), "community_care.care", (GUIDE,), "bell", 411),
)


def register(app: Flask) -> None:
    """Register the delivery area on the app."""
    from community.admin import benchmark as admin_benchmark
    from community.admin import content as admin_content
    from community.admin import delivery as admin_delivery
    from community.admin import escalations as admin_escalations
    from community.admin import plans as admin_plans
    from community.admin import schedule as admin_schedule
    from community.admin import unconfirmed as admin_unconfirmed
    from community.api import content as api_content
    from community.api import delivery as api_delivery
    from community.api import schedule as api_schedule
    from community.demo.delivery import seed_delivery
    from community.guide import care as guide_care
    from community.guide import tasks as guide_tasks
    from community.guide import today as guide_today
    from community.jobs import delivery as jobs
    from community.services import allocation, care, delivery, replan_trigger
    from community.services.readback_schedule import READBACK_EVERY

    register_area(
        app,
        (
            api_content,
            api_delivery,
            api_schedule,
            admin_content,
            admin_plans,
            admin_schedule,
            admin_escalations,
            admin_delivery,
            admin_benchmark,
            admin_unconfirmed,
            guide_tasks,
            guide_care,
        ),
        navs={"admin": ADMIN_NAV, "mobile": MOBILE_NAV},
        seeders=(seed_delivery,),
    )
    # allocation reasons are stored as code + params and translated when shown
    app.add_template_global(allocation.reason_label, "allocation_reason")
    # before CSRF reads the form: the content form may carry a 10 MB image
    app.before_request_funcs.setdefault(None, []).insert(0, admin_content.raise_body_limit)
    add_dashboard(app, admin_unconfirmed.LATE_SENDS)
    add_today(app, guide_today.today_figures, guide_today.today_notes)
    add_dashboard(app, admin_escalations.OVERDUE_SENDS)
    register_job(app, "community.allocate", jobs.allocate_job, "cron", hour=7, minute=0)
    register_job(app, "community.replan_nightly", jobs.allocate_job, "cron", hour=0, minute=30)
    register_job(app, "community.dispatch_due", jobs.dispatch_due_job, "interval", minutes=5)
    register_job(
        app,
        "community.delivery_readback",
        jobs.readback_job,
        "interval",
        minutes=int(READBACK_EVERY.total_seconds() // 60),
    )
    register_job(app, "community.delivery_remind", jobs.remind_job, "interval", hours=2)
    register_job(app, "community.escalate", jobs.escalate_job, "interval", minutes=30)
    register_job(app, "community.care", jobs.care_job, "cron", hour=8, minute=0)
    register_handler(app, delivery.SEND_KIND, delivery.send_batch, many=delivery.send_batches)
    register_handler(app, replan_trigger.REPLAN_KIND, replan_trigger.replan_handler)
    replan_trigger.watch_changes()
    register_handler(app, care.CARE_KIND, care.send_care)
