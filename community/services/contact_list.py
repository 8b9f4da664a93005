"""What the contacts API, the admin list and the guide's page read: the follows the
caller may see (tenant scope: HQ all, an owner their franchise, a guide their own), as
the contract's items, and the per-guide figures (contacts, new this week, deleted by
customers).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, and_, case, func, or_, select

from app.auth.scope import scoped
from app.clock import shanghai_day, shanghai_midnight, utcnow
from app.extensions import db
from community.models.contacts import ContactFollow, WecomContact
from community.services.contacts import contact_tags
from franchise.models import Guide

ACTIVE, DELETED_BY_CUSTOMER, DELETED_BY_GUIDE, ALL = (
    "active",
    "deleted_by_customer",
    "deleted_by_guide",
    "all",
)
STATUSES = (ACTIVE, DELETED_BY_CUSTOMER, DELETED_BY_GUIDE, ALL)


def tag_filter(stmt: Select, tag: str) -> Select:
    """Keep the follows whose contact carries ``tag`` (a tag id, or a tag's name), on its
    external userid or on its customer."""
    from community.services.tag_links import subjects_with_tag

    externals, customers = subjects_with_tag(tag)
    return stmt.where(
        or_(WecomContact.external_userid.in_(externals), WecomContact.customer_id.in_(customers))
    )


def contact_stmt(args: dict) -> Select:
    """The follows the caller may see, filtered by ``guide_id``, ``tag``, ``q`` (name,
    remark or external userid) and ``status``; newest add first."""
    stmt = scoped(select(ContactFollow), ContactFollow).join(
        WecomContact, WecomContact.id == ContactFollow.contact_id
    )
    for key in ("guide_id", "store_id", "franchisee_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(ContactFollow, key) == args[key])
    status = args.get("status") or ACTIVE
    if status == ACTIVE:
        stmt = stmt.where(
            ContactFollow.deleted_by_customer.is_(False), ContactFollow.deleted_by_guide.is_(False)
        )
    elif status == DELETED_BY_CUSTOMER:
        stmt = stmt.where(ContactFollow.deleted_by_customer.is_(True))
    elif status == DELETED_BY_GUIDE:
        stmt = stmt.where(ContactFollow.deleted_by_guide.is_(True))
    if args.get("tag"):
        stmt = tag_filter(stmt, args["tag"])
    if args.get("q"):
        like = f"%{args['q'].strip()}%"
        stmt = stmt.where(
            or_(
                WecomContact.name.ilike(like),
                ContactFollow.remark.ilike(like),
                WecomContact.external_userid.ilike(like),
            )
        )
    return stmt.order_by(ContactFollow.add_time.desc(), ContactFollow.id.desc())


def contact_items(follows: list[ContactFollow]) -> list[dict]:
    """The contract's items for ``follows`` (one read of their tags)."""
    tags = contact_tags([f.contact_id for f in follows])
    return [
        {
            "external_userid": f.external_userid,
            "name": f.contact.name if f.contact else "",
            "remark": f.remark,
            "customer_id": f.contact.customer_id if f.contact else None,
            "guide_id": f.guide_id,
            "guide_name": f.guide.name if f.guide else "",
            "tags": tags.get(f.contact_id, []),
            "added_at": f.add_time,
            "state": f.state,
            "status": status_of(f),
            "welcome_status": f.welcome_status,
        }
        for f in follows
    ]


def status_of(follow: ContactFollow) -> str:
    """``active``, ``deleted_by_customer`` or ``deleted_by_guide``."""
    if follow.deleted_by_customer:
        return DELETED_BY_CUSTOMER
    if follow.deleted_by_guide:
        return DELETED_BY_GUIDE
    return ACTIVE


def week_start():
    """Monday 00:00 Asia/Shanghai of this week, as UTC."""
    today = shanghai_day()
    return shanghai_midnight(today - timedelta(days=today.weekday()))


def guide_figures(args: dict | None = None) -> list[dict]:
    """Per guide the caller may see: active contacts, new this week, deleted by customers
    (all time and this week); guides with no contact are listed with zeros."""
    args = args or {}
    since = week_start()
    active = and_(
        ContactFollow.deleted_by_customer.is_(False), ContactFollow.deleted_by_guide.is_(False)
    )
    figures = (
        select(
            ContactFollow.guide_id,
            func.sum(case((active, 1), else_=0)).label("contacts"),
            func.sum(case((and_(active, ContactFollow.add_time >= since), 1), else_=0)).label(
                "new_this_week"
            ),
            func.sum(case((ContactFollow.deleted_by_customer.is_(True), 1), else_=0)).label(
                "deleted_by_customers"
            ),
            func.sum(case((ContactFollow.deleted_by_customer_at >= since, 1), else_=0)).label(
                "deleted_this_week"
            ),
        )
        .where(ContactFollow.guide_id.is_not(None))
        .group_by(ContactFollow.guide_id)
        .subquery()
    )
    stmt = scoped(select(Guide, figures).outerjoin(figures, figures.c.guide_id == Guide.id), Guide)
    for key in ("store_id", "franchisee_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(Guide, key) == args[key])
    rows = db.session.execute(stmt.order_by(Guide.store_id, Guide.id)).all()
    return [
        {
            "guide_id": row.Guide.id,
            "guide_name": row.Guide.name,
            "store_name": row.Guide.store_name,
            "franchisee_name": row.Guide.franchisee_name,
            "contacts": int(row.contacts or 0),
            "new_this_week": int(row.new_this_week or 0),
            "deleted_by_customers": int(row.deleted_by_customers or 0),
            "deleted_this_week": int(row.deleted_this_week or 0),
        }
        for row in rows
    ]


def recent_since(hours: int = 24):
    """A moment ``hours`` ago (the guide page marks contacts added since)."""
    return utcnow() - timedelta(hours=hours)
