"""Care triggers for single customers: birthday, purchase anniversary, maintenance due.

``generate(day)`` inserts one ``CareTask`` per (customer, kind, due date) for the
customer's guide (INSERT … ON CONFLICT DO NOTHING, so reruns add nothing):

- birthday: ``Customer.birthday`` falls on ``day`` (month-day; 29 Feb → 28 Feb);
- anniversary: the first paid order's Asia/Shanghai date, a whole number of years ago;
- maintenance: a piece the customer owns falls due for care on ``day``
  (``franchise.services.piece_care``: its sale or last service of the care kind, plus
  k care intervals).

``dispatch(day)`` sends the day's open tasks with ``chat_type=single`` add_msg_template
(sender: the guide's WeCom userid, ``external_userid`` from the customer's group
membership) through the outbox, at most ``CARE_DAILY_QUOTA`` (default 1) per customer a
day; a task whose customer has no known external userid becomes ``manual`` and shows on
the guide's ``/m/care`` list to do by hand.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import outbox
from app.clock import shanghai_day, utcnow
from app.db import committing, is_postgres
from app.extensions import db
from app.wechat import wecom
from app.wechat.errors import WeChatError, as_retry_later
from community.models import (
    CARE_ANNIVERSARY,
    CARE_BIRTHDAY,
    CARE_MAINTENANCE,
    CARE_MANUAL,
    CARE_OPEN,
    CARE_QUEUED,
    CARE_SENT,
    CareRule,
    CareTask,
    ContentPost,
    GroupMember,
)
from franchise.models import PAID_STATUSES, Customer, Guide, Order
from franchise.services import piece_care

CARE_KIND = "community.send_care"


def _same_day(d: date, day: date) -> bool:
    if (d.month, d.day) == (day.month, day.day):
        return True
    leap_fallback = (d.month, d.day) == (2, 29) and (day.month, day.day) == (2, 28)
    return leap_fallback and not _is_leap(day.year)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def find_due(day: date) -> list[dict]:
    """Every care task due on ``day`` (not yet stored)."""
    rules = {r.kind: r for r in db.session.scalars(select(CareRule))}
    out: list[dict] = []

    def add(customer_id, guide_id, franchisee_id, kind, detail):
        rule = rules.get(kind)
        if rule is not None and not rule.is_active:
            return
        out.append(
            {
                "customer_id": customer_id,
                "guide_id": guide_id,
                "franchisee_id": franchisee_id,
                "kind": kind,
                "due_date": day,
                "post_id": rule.post_id if rule else None,
                "detail": detail[:255],
            }
        )

    for cid, gid, fid, birthday in db.session.execute(
        select(Customer.id, Customer.guide_id, Customer.franchisee_id, Customer.birthday).where(
            Customer.birthday.is_not(None)
        )
    ):
        assert birthday is not None  # selected is_not(None)
        if _same_day(birthday, day):
            add(cid, gid, fid, CARE_BIRTHDAY, f"birthday {birthday.strftime('%m-%d')}")
    first_paid = (
        select(Order.customer_id, func.min(Order.paid_at).label("first"))
        .where(Order.paid_at.is_not(None), Order.status.in_(PAID_STATUSES))
        .group_by(Order.customer_id)
        .subquery()
    )
    for cid, gid, fid, first in db.session.execute(
        select(Customer.id, Customer.guide_id, Customer.franchisee_id, first_paid.c.first).join(
            first_paid, first_paid.c.customer_id == Customer.id
        )
    ):
        first_day = shanghai_day(first)
        if first_day and first_day.year < day.year and _same_day(first_day, day):
            years = day.year - first_day.year
            add(cid, gid, fid, CARE_ANNIVERSARY, f"{years} year(s) since {first_day.isoformat()}")
    # maintenance: an owned piece falls due today (franchise.services.piece_care)
    owners = {}
    for care, _day in piece_care.due_between(day, day):
        if care.customer_id not in owners:
            owners[care.customer_id] = db.session.execute(
                select(Customer.guide_id, Customer.franchisee_id).where(
                    Customer.id == care.customer_id
                )
            ).one()
        gid, fid = owners[care.customer_id]
        add(
            care.customer_id,
            gid,
            fid,
            CARE_MAINTENANCE,
            f"{care.product_name} {care.serial}: {care.kind} every {care.interval_days} days",
        )
    return out


def generate(day: date) -> dict:
    """Store the day's care tasks (one per customer, kind, due date); returns counts."""
    rows = find_due(day)
    if not rows:
        return {"due": 0}
    externals = dict(
        db.session.execute(
            select(GroupMember.customer_id, func.min(GroupMember.userid))
            .where(
                GroupMember.customer_id.in_({r["customer_id"] for r in rows}),
                GroupMember.member_type == 2,
                GroupMember.left_at.is_(None),
            )
            .group_by(GroupMember.customer_id)
        ).all()
    )
    now = utcnow()
    for r in rows:
        r["external_userid"] = externals.get(r["customer_id"])
        r["status"] = CARE_OPEN if r["external_userid"] else CARE_MANUAL
        r["created_at"] = now
    insert = pg_insert if is_postgres(db.engine) else sqlite_insert
    with committing(db.session):
        db.session.execute(
            insert(CareTask.__table__).on_conflict_do_nothing(
                index_elements=["customer_id", "kind", "due_date"]
            ),
            rows,
        )
    return {"due": len(rows)}


def dispatch(day: date) -> dict:
    """Queue the day's open tasks within the per-customer daily quota (one outbox row each)."""
    quota = int(current_app.config["CARE_DAILY_QUOTA"] or 1)
    used = dict(
        db.session.execute(
            select(CareTask.customer_id, func.count())
            .where(CareTask.due_date == day, CareTask.status.in_((CARE_QUEUED, CARE_SENT)))
            .group_by(CareTask.customer_id)
        ).all()
    )
    tasks = db.session.scalars(
        select(CareTask)
        .where(CareTask.due_date == day, CareTask.status == CARE_OPEN)
        .order_by(CareTask.customer_id, CareTask.id)
    ).all()
    queued = 0
    with committing(db.session):
        for task in tasks:
            if used.get(task.customer_id, 0) >= quota:
                continue
            used[task.customer_id] = used.get(task.customer_id, 0) + 1
            task.status = CARE_QUEUED
            outbox.enqueue(CARE_KIND, {"task_id": task.id}, dedupe_key=f"care:{task.id}")
            queued += 1
    return {"queued": queued}


def suggested_text(task: CareTask) -> str:
    """The message the guide sends (the rule's post text, else a short default)."""
    post = db.session.get(ContentPost, task.post_id) if task.post_id else None
    if post and post.text:
        return post.text
    name = task.customer.nickname if task.customer else ""
    defaults = {
        CARE_BIRTHDAY: f"{name}，生日快乐！门店为您准备了生日礼遇，欢迎到店领取。",
        CARE_ANNIVERSARY: f"{name}，感谢您一年来的陪伴，周年专属礼遇等您来取。",
        CARE_MAINTENANCE: f"{name}，您的饰品到了保养时间，欢迎到店免费清洗保养。",
    }
    return defaults.get(task.kind, "")


def send_care(message) -> dict:
    """Outbox handler: one single-chat add_msg_template for a care task."""
    task = db.session.get(CareTask, int(message.payload["task_id"]))
    if task is None or task.msgid:
        db.session.rollback()
        return {"skipped": True}
    sender = db.session.scalar(select(Guide.wecom_userid).where(Guide.id == task.guide_id))
    if not sender or not task.external_userid:
        task.status = CARE_MANUAL
        db.session.commit()
        return {"manual": True}
    post = db.session.get(ContentPost, task.post_id) if task.post_id else None
    body = {
        "chat_type": "single",
        "sender": sender,
        "external_userid": [task.external_userid],
        "text": {"content": suggested_text(task)},
        "attachments": list(post.attachments or []) if post else [],
    }
    task_id = task.id
    db.session.commit()
    try:
        result = wecom.add_msg_template(body)
    except WeChatError as exc:
        retry = as_retry_later(exc)
        if retry is not None:
            raise retry from exc
        raise outbox.GiveUp(str(exc)) from exc
    db.session.execute(
        update(CareTask)
        .where(CareTask.id == task_id)
        .values(msgid=result["msgid"], status=CARE_SENT)
    )
    db.session.commit()
    return {"msgid": result["msgid"]}
