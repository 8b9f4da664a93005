"""Demo customer journeys: a three-step first-purchase journey, a birthday greeting, a
wedding-anniversary note, a maintenance reminder, a dormant win-back and the points
reminders (7 days before the points end; a wake-up for dormant members), each with its
own posts; then tonight's enrolment and today's sends run, so the report has figures.

Idempotent: skips when a journey exists; needs the content seed's posts first.
"""

from __future__ import annotations

from flask import Flask

# (name, trigger, extra fields, ((wait days, post title, post text), ...))
DEMO_JOURNEYS: tuple[tuple[str, str, dict, tuple[tuple[int, str, str], ...]], ...] = (
    ("首购关怀", "first_purchase", {}, (
        (0, "感谢您的第一件思语珠宝", "感谢选择思语！佩戴前请先看看保养小贴士，有问题随时找我。"),
        (7, "一周佩戴回访", "新首饰戴了一周感觉如何？欢迎到店免费清洗和调整尺寸。"),
        (30, "满月保养提醒", "黄金和珍珠都怕汗水和香水，这个月来店里做一次免费保养吧。"),
    )),
    ("生日祝福", "birthday", {}, (
        (0, "生日快乐", "祝您生日快乐！生日当月到店有专属小礼物等您。"),
    )),
    ("结婚纪念日", "customer_date", {"date_kind": "wedding"}, (
        (0, "纪念日快乐", "结婚纪念日快乐！愿这份美好像黄金一样恒久。"),
    )),
    ("保养到期提醒", "maintenance_due", {}, (
        (0, "该做保养啦", "您的首饰已到保养时间，到店免费清洗抛光，约十五分钟即可取。"),
    )),
    ("沉睡唤醒", "dormant", {"dormant_days": 90}, (
        (0, "好久不见", "好久不见！本季新品已到店，给您留了试戴名额。"),
        (14, "老朋友专属", "老朋友专属：到店试戴即送保养券一张。"),
    )),
    ("积分到期提醒", "points_expiring", {"days_before": 7}, (
        (0, "您的积分即将过期", "您有积分将在本月底过期，可在小程序兑换礼品或下单抵现，别浪费哦。"),
    )),
    ("积分唤醒", "points_wakeup", {"days_before": 7}, (
        (0, "好久不见，积分还在等您", "您的积分即将过期，到店或在小程序兑换一份心意礼吧。"),
    )),
)  # fmt: skip


def seed_journeys(app: Flask) -> list[str]:
    """The demo journeys, tonight's enrolment and today's sends (through the outbox)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from community.models import ContentPost
    from community.models.journeys import Journey
    from community.services import content, journey_sends, journey_triggers, journeys

    if not db.session.scalar(select(func.count()).select_from(ContentPost)):
        return []
    if db.session.scalar(select(func.count()).select_from(Journey)):
        return ["community: journeys already seeded"]
    for name, trigger, extra, steps in DEMO_JOURNEYS:
        body = {"name": name, "trigger": trigger, "outcome_days": 7, "active": True, **extra}
        body["steps"] = [
            {
                "wait_days": wait,
                "window_days": 3,
                "post_id": content.save_post(
                    {"title": title, "purpose": "care", "text": text, "attachments": []}
                ).id,
            }
            for wait, title, text in steps
        ]
        journeys.save_journey(body)
    enrolled = journey_triggers.run()["enrolled"]
    sends = journey_sends.dispatch()
    return [
        f"community: {len(DEMO_JOURNEYS)} journeys, {enrolled} enrolments, "
        f"{sends['queued']} sends queued, {sends['skipped']} without a WeCom contact"
    ]
