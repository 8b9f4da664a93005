"""Demo data of the delivery area: ~8 posts, ~5 push plans, the next 14 days planned
and today's send batches through the outbox.

``seed_delivery`` is registered by ``community.wiring.delivery`` after the groups seeders.
"""

from __future__ import annotations

from flask import Flask

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
    ("知识分享·周一三五", 0, {"schedule_kind": "weekly", "weekdays": [0, 2, 4]}, 40),
    ("品牌故事·新群第 1 天", 1, {"schedule_kind": "relative", "relative_day": 1}, 70),
    ("新品周末推送", 2, {"schedule_kind": "weekly", "weekdays": [5, 6]}, 80),
    (
        "会员券·已购群周五",
        3,
        {"schedule_kind": "weekly", "weekdays": [4], "segments": ["purchased"]},
        90,
    ),
    ("珍珠保养·每日", 5, {"schedule_kind": "weekly", "weekdays": list(range(7))}, 30),
)
# Siyu's own cap in the demo: up to 3 posts a group a day, so under WeCom's default
# ``month`` policy every plan fits its windows; ``day`` (1 a day) shows what is missed.
DEMO_DAILY_CAP = 3


def seed_delivery(app: Flask) -> list[str]:
    """~8 posts, ~5 plans, the next 14 days planned, today's batches via the outbox.

    Idempotent: skips when posts exist; needs the groups seed's WecomGroup rows first.
    """
    from sqlalchemy import func, select

    from app.clock import shanghai_day
    from app.extensions import db
    from community.models import ContentPost, WecomGroup
    from community.services import content, delivery, planner, plans, receiving_limit
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
    receiving_limit.update(new_cap=DEMO_DAILY_CAP)
    lines = [f"community: {len(posts)} posts, {len(DEMO_PLANS)} plans"]
    lines.append(f"community: planned {planner.replan(today)}")
    lines.append(f"community: batches {delivery.create_batches(today)}")
    return lines
