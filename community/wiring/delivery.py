"""Registration of the community delivery area: content library, push plans, the daily
slot allocator, guide-confirmed delivery, care reminders and benchmark replication.

Blueprints (JSON API under ``/api/v1``, admin pages under ``/admin``, guide pages under
``/m``), the "Community" admin navigation group, guide tabs, outbox handlers
(``community.send_batch``, ``community.send_care``), scheduler jobs, the ``flask community
allocate`` / ``dispatch`` commands and the demo seeder (``seed_delivery``).
"""

from __future__ import annotations

from datetime import date, timedelta

import click
from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, GUIDE, HQ_ROLES
from app.extensions import add_nav, registry
from app.web.i18n import N_
from app.web.today import add_today


def init_app(app: Flask) -> None:
    """Register the delivery area on the app."""
    import community.models.content  # noqa: F401 - tables (until the lead imports them)
    import community.models.delivery  # noqa: F401
    from app.extensions import api as openapi
    from app.outbox import register_handler
    from app.scheduler import register_job
    from community.admin import benchmark as admin_benchmark
    from community.admin import content as admin_content
    from community.admin import delivery as admin_delivery
    from community.admin import plans as admin_plans
    from community.api import content as api_content
    from community.api import delivery as api_delivery
    from community.guide import care as guide_care
    from community.guide import tasks as guide_tasks
    from community.guide import today as guide_today
    from community.jobs import delivery as jobs
    from community.services import allocation, care, delivery

    app.config.setdefault("CARE_DAILY_QUOTA", 1)
    for module in (api_content, api_delivery):
        openapi.register_blueprint(module.blp)
    # allocation reasons are stored as code + params and translated when shown
    app.jinja_env.globals["allocation_reason"] = allocation.reason_label
    # before CSRF reads the form: the content form may carry a 10 MB image
    app.before_request_funcs.setdefault(None, []).insert(0, admin_content.raise_body_limit)
    for module in (
        admin_content,
        admin_plans,
        admin_delivery,
        admin_benchmark,
        guide_tasks,
        guide_care,
    ):
        app.register_blueprint(module.bp)

    group = N_("Community")
    for label, endpoint, roles, icon, order in (
        (N_("Content library"), "community_content.posts", HQ_ROLES, "content", 410),
        (N_("Push plans"), "community_plans.plans", HQ_ROLES, "calendar", 411),
        (N_("Allocation"), "community_plans.allocation", ADMIN_UI_ROLES, "calendar", 412),
        (N_("Delivery monitor"), "community_delivery.monitor", ADMIN_UI_ROLES, "chart", 413),
        (N_("Benchmarks"), "community_benchmark.benchmarks", HQ_ROLES, "target", 414),
    ):
        add_nav(app, "admin", group, label, endpoint, roles, icon=icon, order=order)
    add_nav(
        app,
        "mobile",
        group,
        N_("Today's sends"),
        "community_tasks.tasks",
        (GUIDE,),
        icon="task",
        order=410,
    )
    add_nav(
        app, "mobile", group, N_("Care"), "community_care.care", (GUIDE,), icon="bell", order=411
    )

    add_today(app, guide_today.today_figures, guide_today.today_notes)
    register_handler(app, delivery.SEND_KIND, delivery.send_batch)
    register_handler(app, care.CARE_KIND, care.send_care)
    register_job(app, "community.allocate", jobs.allocate_job, "cron", hour=7, minute=0)
    register_job(app, "community.dispatch_due", jobs.dispatch_due_job, "interval", minutes=5)
    register_job(app, "community.delivery_readback", jobs.readback_job, "interval", minutes=15)
    register_job(app, "community.delivery_remind", jobs.remind_job, "interval", hours=2)
    register_job(app, "community.care", jobs.care_job, "cron", hour=8, minute=0)
    _register_cli(app)

    registry(app).seeders.append(seed_delivery)


def _register_cli(app: Flask) -> None:
    """``flask community allocate --day`` and ``dispatch``; joins the groups area's
    ``community`` command group when it exists."""
    cli = app.cli.commands.get("community")
    if cli is None or not isinstance(cli, click.Group):

        @app.cli.group("community")
        def cli():
            """WeCom customer groups: sync, stages, delivery."""

    assert isinstance(cli, click.Group)  # the groups area's, or the one made just now

    @cli.command("allocate")
    @click.option("--day", default=None, help="YYYY-MM-DD (Asia/Shanghai); default today.")
    @click.option("--batches/--no-batches", default=False, help="Also create send batches.")
    def allocate_command(day: str | None, batches: bool):
        """Allocate the day's group-message slots (idempotent)."""
        from app.clock import shanghai_day
        from community.services import allocation, delivery

        the_day = date.fromisoformat(day) if day else shanghai_day()
        click.echo(allocation.allocate(the_day))
        if batches:
            click.echo(delivery.create_batches(the_day))

    @cli.command("readback")
    @click.option("--day", default=None)
    def readback_command(day: str | None):
        """Read back today's (or ``--day``'s) send results from WeCom."""
        from app.clock import shanghai_day
        from community.services import delivery

        click.echo(delivery.read_back(date.fromisoformat(day) if day else shanghai_day()))


DEMO_POSTS = (
    ("金饰保养小知识", "knowledge", "金饰日常佩戴避免接触香水与温泉，每半年到店免费清洗保养一次。"),
    ("品牌故事：三十年匠心", "brand_story", "从一家小小的金铺到今天，我们坚持每一件作品手工打磨。"),
    ("新品上市：古法金手镯", "new_product", "古法金新品手镯到店，欢迎预约试戴。"),
    ("会员专享券", "coupon", "会员专享：满 3000 减 200，本周到店可用。"),
    ("生日关怀", "care", "生日快乐！门店为您准备了生日礼遇，欢迎到店领取。"),
    ("珍珠保养指南", "knowledge", "珍珠怕酸怕汗，佩戴后用软布轻拭再收纳。"),
    ("七夕限定系列", "new_product", "七夕限定系列上线，为心爱的人挑一份心意。"),
    ("钻石选购四要素", "knowledge", "颜色、净度、切工、克拉——到店听导购细细讲解。"),
)
DEMO_PLANS = (
    ("每周一知识分享", 0, {"schedule_kind": "weekly", "weekdays": [0, 2, 4]}, 40),
    ("品牌故事·新群第 1 天", 1, {"schedule_kind": "relative", "relative_day": 1}, 70),
    ("新品周末推送", 2, {"schedule_kind": "weekly", "weekdays": list(range(7))}, 80),
    (
        "会员券·已购群",
        3,
        {"schedule_kind": "weekly", "weekdays": list(range(7)), "segments": ["purchased"]},
        90,
    ),
    ("珍珠保养·每日", 5, {"schedule_kind": "weekly", "weekdays": list(range(7))}, 30),
)


def seed_delivery(app: Flask) -> list[str]:
    """~8 posts, ~5 plans, allocate today and tomorrow, today's batches via the outbox.

    Idempotent: skips when posts exist; needs the groups seed's WecomGroup rows first.
    """
    from sqlalchemy import func, select

    from app.clock import shanghai_day
    from app.extensions import db
    from community.models import ContentPost, WecomGroup
    from community.services import allocation, content, delivery, plans
    from franchise.models import CouponTemplate

    if not db.session.scalar(select(func.count()).select_from(WecomGroup)):
        return []
    if db.session.scalar(select(func.count()).select_from(ContentPost)):
        return ["community: content library already seeded"]
    coupon = db.session.scalars(select(CouponTemplate).order_by(CouponTemplate.id)).first()
    posts = []
    for title, purpose, text in DEMO_POSTS:
        if purpose == "coupon" and coupon is None:
            purpose = "new_product"
        data = {
            "title": title,
            "purpose": purpose,
            "text": text,
            "coupon_template_id": coupon.id if purpose == "coupon" and coupon else None,
            "attachments": [
                {
                    "msgtype": "link",
                    "link": {"title": title, "url": "https://example.com/siyu", "desc": text[:40]},
                }
            ],
        }
        posts.append(content.save_post(data))
    for name, post_index, schedule, priority in DEMO_PLANS:
        plans.save_plan(
            {
                "name": name,
                "post_id": posts[post_index].id,
                "send_time": "10:00",
                "quiet_start": "22:00",
                "quiet_end": "08:00",
                "priority": priority,
                **schedule,
            }
        )
    today = shanghai_day()
    lines = [f"community: {len(posts)} posts, {len(DEMO_PLANS)} plans"]
    lines.append(f"community: today {allocation.allocate(today)}")
    lines.append(f"community: tomorrow {allocation.allocate(today + timedelta(days=1))}")
    lines.append(f"community: batches {delivery.create_batches(today)}")
    return lines
