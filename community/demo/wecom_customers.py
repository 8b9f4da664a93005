"""Demo data of the WeCom customers area (registered by ``community.wiring.wecom_customers``):
HQ's tag library — 婚庆, 古法金偏好, 高净值 (by value tier), 待唤醒, 消费行为 (live buyers)
— with the rule tags applied; WeCom's corp tags follow through the outbox. Idempotent."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db

LIBRARY: tuple[tuple[str, list[str], dict[str, str]], ...] = (
    ("婚庆", ["备婚中", "已婚"], {}),
    ("古法金偏好", ["古法金", "足金"], {"足金": "category:黄金"}),
    ("高净值", ["高净值"], {"高净值": "tier:high"}),
    ("待唤醒", ["待唤醒"], {}),
    ("消费行为", ["直播下单"], {"直播下单": "live_buyer"}),
)


def seed_tags(app: Flask) -> list[str]:
    """The demo tag groups with their rules, then the rules applied once."""
    from community.models.wecom_customers import CustomerTag, TagGroup
    from community.services import tag_rules, tags

    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(TagGroup)):
            return ["customer tags: already there"]
        for name, tag_names, rules in LIBRARY:
            group = tags.create_group(name, tag_names)
            for tag in db.session.scalars(
                select(CustomerTag).where(CustomerTag.group_id == group.id)
            ):
                tag.rule = rules.get(tag.name)
        db.session.commit()
        result = tag_rules.apply_rules()
    return [f"customer tags: {len(LIBRARY)} groups, {result['added']} rule tags"]
