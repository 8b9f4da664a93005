"""A plan's or a content's report computed in the database: grouped queries, paged there.

The rule is ``post_outcome``'s (the one definition of a post's outcome), written as SQL
so a plan that reached thousands of groups is neither loaded nor paged in Python:

- *sends*: the groups a push reached (WeCom status 1) per day, in the viewer's scope;
- *bounds*: per send day, the UTC instants of Shanghai's day start, the next day's start,
  the end of the N-th day after and the first of the 7 days before (a ``UNION ALL``
  of literals built from the few distinct send days: no database-specific date arithmetic);
- *present*: a group's members matched to customers who were in it on the send day;
- *hits*: each order by a present customer, through a share code of the send's guide, in
  its franchise, paid from the batch's creation to the end of the N-th day after;
- the rows join each send with its hits, members and its owner's WeCom statistics.

``rows_stmt`` is a ``select`` the admin page pages (LIMIT/OFFSET) and streams as CSV;
``summary`` gives the totals and the series per day in three grouped queries.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    distinct,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.sql.selectable import CTE, Subquery

from app.auth.scope import scoped
from app.clock import shanghai_midnight as midnight
from app.extensions import UTCDateTime, db
from app.web.listing import Page, paginate
from community.models import (
    DELIVERY_SENT,
    GroupChatStat,
    GroupDelivery,
    GroupMember,
    SendBatch,
    SlotAllocation,
    WecomGroup,
)
from franchise.models import PAID_STATUSES, Guide, Order, ShareCode

PLAN = "plan"
BEFORE_DAYS = 7


def sends(kind: str, obj_id: int) -> CTE:
    """One row per group and send (day, guide, franchisee, batch created, name, owner)."""
    stmt = (
        select(GroupDelivery.group_id, GroupDelivery.day, GroupDelivery.guide_id,
               GroupDelivery.franchisee_id, SendBatch.created_at.label("since"),
               WecomGroup.name.label("group_name"), WecomGroup.owner_userid.label("owner"))
        .join(SendBatch, SendBatch.id == GroupDelivery.batch_id)
        .join(WecomGroup, WecomGroup.id == GroupDelivery.group_id)
        .where(GroupDelivery.status == DELIVERY_SENT)
    )  # fmt: skip
    if kind == PLAN:
        stmt = stmt.join(
            SlotAllocation,
            (SlotAllocation.batch_id == GroupDelivery.batch_id)
            & (SlotAllocation.group_id == GroupDelivery.group_id),
        ).where(SlotAllocation.plan_id == obj_id)
    else:
        stmt = stmt.where(SendBatch.post_id == obj_id)
    return scoped(stmt, GroupDelivery).distinct().cte("sends")


def bounds(sent: CTE, days: int) -> Subquery | None:
    """Per send day its UTC bounds (see the module docstring); None when nothing was sent."""
    send_days = sorted(db.session.scalars(select(sent.c.day).distinct()))
    if not send_days:
        return None
    parts = [
        select(literal(d, Date()).label("day"),
               literal(midnight(d), UTCDateTime()).label("day_start"),
               literal(midnight(d + timedelta(days=1)), UTCDateTime()).label("next_start"),
               literal(midnight(d + timedelta(days=days + 1)), UTCDateTime()).label("until"),
               literal(d - timedelta(days=BEFORE_DAYS), Date()).label("before_first"))
        for d in send_days
    ]  # fmt: skip
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("b")


def _key(sub, sent: CTE) -> list:
    return [sub.c.group_id == sent.c.group_id, sub.c.day == sent.c.day,
            sub.c.since == sent.c.since]  # fmt: skip


def _present(sent: CTE, b: Subquery):
    """The join of a send with its group's customers who were in it on the send day."""
    return and_(
        GroupMember.group_id == sent.c.group_id,
        GroupMember.customer_id.is_not(None),
        or_(GroupMember.join_time.is_(None), GroupMember.join_time < b.c.next_start),
        or_(GroupMember.left_at.is_(None), GroupMember.left_at >= b.c.day_start),
    )


def hits(sent: CTE, b: Subquery) -> Subquery:
    """Each (send, order) the rule counts, once: ``group_id, day, since, order_id,
    customer_id, fen``."""
    stmt = (
        select(
            sent.c.group_id,
            sent.c.day,
            sent.c.since,
            Order.id.label("order_id"),
            Order.customer_id,
            Order.paid_fen.label("fen"),
        )  # fmt: skip
        .join(b, b.c.day == sent.c.day)
        .join(GroupMember, _present(sent, b))
        .join(
            Order,
            and_(
                Order.customer_id == GroupMember.customer_id,
                Order.franchisee_id == sent.c.franchisee_id,
                Order.status.in_(PAID_STATUSES),
                Order.paid_at >= sent.c.since,
                Order.paid_at < b.c.until,
            ),
        )
        .join(
            ShareCode,
            and_(ShareCode.code == Order.share_code, ShareCode.guide_id == sent.c.guide_id),
        )  # fmt: skip
    )
    return stmt.distinct().subquery("hits")


def activity(sent: CTE, b: Subquery) -> Subquery:
    """Per (owner, send day): WeCom's messages and members who spoke that day, and their
    averages over the 7 days before (NULL when nothing was read for those days)."""
    pairs = select(sent.c.owner, sent.c.day).distinct().subquery("pairs")
    on = GroupChatStat.__table__.alias("on_day")
    before = GroupChatStat.__table__.alias("before")
    return (
        select(
            pairs.c.owner,
            pairs.c.day,
            func.max(on.c.msg_total).label("messages"),
            func.max(on.c.member_has_msg).label("active_members"),
            func.avg(before.c.msg_total).label("messages_before"),
            func.avg(before.c.member_has_msg).label("active_before"),
        )  # fmt: skip
        .join(b, b.c.day == pairs.c.day)
        .outerjoin(on, and_(on.c.owner_userid == pairs.c.owner, on.c.day == pairs.c.day))
        .outerjoin(
            before,
            and_(
                before.c.owner_userid == pairs.c.owner,
                before.c.day >= b.c.before_first,
                before.c.day < pairs.c.day,
            ),
        )  # fmt: skip
        .group_by(pairs.c.owner, pairs.c.day)
        .subquery("activity")
    )


def rows_stmt(sent: CTE, b: Subquery) -> Select:
    """One row per group and send: who, when, what it brought and the owner's activity."""
    found = hits(sent, b)
    per_send = (
        select(
            found.c.group_id,
            found.c.day,
            found.c.since,
            func.count(distinct(found.c.order_id)).label("orders"),
            func.sum(found.c.fen).label("paid_fen"),
            func.count(distinct(found.c.customer_id)).label("customers"),
        )  # fmt: skip
        .group_by(found.c.group_id, found.c.day, found.c.since)
        .subquery("per_send")
    )
    members = (
        select(
            sent.c.group_id,
            sent.c.day,
            sent.c.since,
            func.count(distinct(GroupMember.customer_id)).label("members"),
        )  # fmt: skip
        .join(b, b.c.day == sent.c.day)
        .join(GroupMember, _present(sent, b))
        .group_by(sent.c.group_id, sent.c.day, sent.c.since)
        .subquery("members")
    )
    act = activity(sent, b)
    return (
        select(
            sent.c.day.label("date"),
            sent.c.group_id,
            sent.c.group_name,
            func.coalesce(Guide.name, "").label("guide_name"),
            func.coalesce(members.c.members, 0).label("members"),
            func.coalesce(per_send.c.orders, 0).label("orders"),
            func.coalesce(per_send.c.paid_fen, 0).cast(Integer).label("paid_fen"),
            func.coalesce(per_send.c.customers, 0).label("customers"),
            act.c.messages,
            act.c.active_members,
            act.c.messages_before,
            act.c.active_before,
        )
        .outerjoin(Guide, Guide.id == sent.c.guide_id)
        .outerjoin(per_send, and_(*_key(per_send, sent)))
        .outerjoin(members, and_(*_key(members, sent)))
        .outerjoin(act, and_(act.c.owner == sent.c.owner, act.c.day == sent.c.day))
        .order_by(sent.c.day, sent.c.group_name, sent.c.group_id, sent.c.since)
    )


def _matching(stmt: Select, day, group_name, guide_name, args: dict) -> Select:
    """``stmt`` narrowed by the page's send day and name (group or guide) filters."""
    if args.get("day"):
        stmt = stmt.where(day == args["day"])
    q = (args.get("q") or "").strip().lower()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(func.lower(group_name).like(like),
                              func.lower(guide_name).like(like)))  # fmt: skip
    return stmt


def filtered(stmt: Select, args: dict) -> Select:
    """The page's filters in SQL: send day, a name (group or guide), with or without orders."""
    rows = stmt.subquery("rows")
    out = _matching(select(rows), rows.c.date, rows.c.group_name, rows.c.guide_name, args)
    if args.get("ordered"):
        out = out.where(rows.c.orders > 0 if args["ordered"] == "yes" else rows.c.orders == 0)
    return out.order_by(rows.c.date, rows.c.group_name, rows.c.group_id)


def page_rows(sent: CTE, b: Subquery, args: dict) -> Page:
    """One page of the rows. The sends are filtered and paged first and only that page's
    figures computed; "with / without orders" needs every send's orders, so it pages the
    full rows instead."""
    if args.get("ordered"):
        return paginate(filtered(rows_stmt(sent, b), args))
    keys = select(sent.c.group_id, sent.c.day, sent.c.since).outerjoin(
        Guide, Guide.id == sent.c.guide_id
    )
    keys = _matching(keys, sent.c.day, sent.c.group_name, func.coalesce(Guide.name, ""), args)
    listing = paginate(keys.order_by(sent.c.day, sent.c.group_name, sent.c.group_id, sent.c.since))
    if listing.items:
        chosen = select(sent).where(
            tuple_(sent.c.group_id, sent.c.day, sent.c.since).in_([tuple(r) for r in listing])
        )
        listing.items = list(db.session.execute(rows_stmt(chosen.cte("page_sends"), b)))
    return listing


def _figures(sent: CTE, b: Subquery, by_day: bool) -> dict:
    """Sends, groups, distinct orders / paid / customers and messages — overall or per day
    (``{day: figures}``; overall under the key None)."""
    found = hits(sent, b)
    act = activity(sent, b)
    orders = select(found.c.order_id, found.c.fen, found.c.customer_id,
                    *([found.c.day] if by_day else []))  # fmt: skip
    orders_sub = orders.distinct().subquery("paid_orders")
    day_of = (lambda sub: [sub.c.day]) if by_day else (lambda sub: [])
    money = select(*day_of(orders_sub), func.count(orders_sub.c.order_id),
                   func.coalesce(func.sum(orders_sub.c.fen), 0),
                   func.count(distinct(orders_sub.c.customer_id)))  # fmt: skip
    counts = select(
        *([sent.c.day] if by_day else []),
        func.count(),
        func.count(distinct(sent.c.group_id)),
        func.sum(act.c.messages),
        func.sum(act.c.messages_before),
    ).outerjoin(act, and_(act.c.owner == sent.c.owner, act.c.day == sent.c.day))
    if by_day:
        money = money.group_by(orders_sub.c.day)
        counts = counts.group_by(sent.c.day)
    paid = {(r[0] if by_day else None): r[-3:] for r in db.session.execute(money)}
    out = {}
    for r in db.session.execute(counts):
        key = r[0] if by_day else None
        n_orders, fen, customers = paid.get(key, (0, 0, 0))
        sends, groups, messages, before = r[-4:]
        out[key] = {"sends": sends, "groups": groups, "orders": n_orders, "paid_fen": int(fen),
                    "customers": customers, "messages": _one_place(messages),
                    "messages_before": _one_place(before)}  # fmt: skip
    return out


def _one_place(value) -> float | None:
    return None if value is None else round(float(value), 1)


def summary(sent: CTE, b: Subquery | None) -> tuple[dict, list[dict]]:
    """The totals and the series per send day."""
    if b is None:
        empty = {"sends": 0, "groups": 0, "orders": 0, "paid_fen": 0, "customers": 0,
                 "messages": None, "messages_before": None}  # fmt: skip
        return empty, []
    totals = _figures(sent, b, by_day=False)[None]
    series = [{"date": d, **f} for d, f in sorted(_figures(sent, b, by_day=True).items())]
    return totals, series


def as_dict(row) -> dict:
    """A row of ``rows_stmt`` as the API's row (averages to one decimal place)."""
    out = dict(row._mapping)
    for key in ("messages_before", "active_before"):
        out[key] = _one_place(out[key])
    return out
