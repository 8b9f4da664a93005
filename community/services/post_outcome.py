"""Did a post work: the orders it brought, attributed through share codes.

A *touch* is a post that reached someone — a plan's push delivered to a group on a day
(WeCom status 1), or a journey step a customer received. An order counts for a touch when

- it was placed with a share code of the touch's guide (the sender: the group's owner or
  the customer's guide) — the code the mini-program links carry (``franchise`` share
  codes; ``Order.share_code``),
- by one of the touch's customers (the group's members matched to mini-program customers
  who were in the group on the send day, or the journey's customer),
- in the touch's franchise (another franchise's order never counts, whatever its code),
- and was paid from the send (``since``) to the end of the ``days``-th day after it
  (``outcome_days``: HQ's setting ``community.post_outcome_days``, default 7).

An order two touches share counts for each touch, once in any total (totals count
distinct orders and customers).

This is the one definition of a post's outcome: the per-step report
(``post_report``) and the journey report (``journeys.report``) both take a step's
touches from ``journey_touches`` and its orders from ``attribute``, with the journey's
``outcome_days`` as N unless the viewer asks for another, so both pages show the same
figures for a step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.auth.scope import scoped
from app.clock import as_utc, shanghai_day
from app.extensions import db
from community.models import GroupMember
from community.models.journeys import S_SENT, JourneySend
from franchise.models import PAID_STATUSES, Order, ShareCode
from franchise.services.settings import get_setting

OUTCOME_SETTING = "community.post_outcome_days"
DEFAULT_OUTCOME_DAYS = 7
CHUNK = 500  # ids per IN list


@dataclass(frozen=True)
class Touch:
    """A post that reached a group or a customer: who could buy, through whose code, when."""

    key: tuple
    day: date
    since: datetime
    guide_id: int | None
    franchisee_id: int | None
    customers: frozenset[int]


@dataclass
class Outcome:
    """The orders a touch brought: ``{order id: paid fen}`` and the customers who paid."""

    orders: dict[int, int] = field(default_factory=dict)
    customers: set[int] = field(default_factory=set)

    @property
    def paid_fen(self) -> int:
        return sum(self.orders.values())


def outcome_days() -> int:
    """HQ's N: orders within N days of a send count."""
    try:
        return int(get_setting(OUTCOME_SETTING))
    except KeyError:  # the setting is registered by the community wiring
        return DEFAULT_OUTCOME_DAYS


def _rows(columns: tuple, key, ids: Iterable[int], *where) -> list:
    """``SELECT columns WHERE key IN ids AND where``, 500 ids a statement."""
    ids = sorted(set(ids))
    rows: list = []
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        rows += db.session.execute(select(*columns).where(key.in_(part), *where)).all()
    return rows


def members_on(
    group_ids: Iterable[int],
) -> dict[int, list[tuple[int, datetime | None, datetime | None]]]:
    """Each group's members matched to customers: ``(customer, joined, left)``."""
    found: dict[int, list] = defaultdict(list)
    columns = (GroupMember.group_id, GroupMember.customer_id, GroupMember.join_time,
               GroupMember.left_at)  # fmt: skip
    for group_id, customer_id, joined, left in _rows(
        columns, GroupMember.group_id, group_ids, GroupMember.customer_id.is_not(None)
    ):
        found[group_id].append((customer_id, as_utc(joined), as_utc(left)))
    return found


def present(members: list, day: date) -> frozenset[int]:
    """The customers in the group on ``day`` (joined by its end, not left before it)."""
    return frozenset(
        customer_id
        for customer_id, joined, left in members
        if (joined is None or shanghai_day(joined) <= day)
        and (left is None or shanghai_day(left) >= day)
    )


def journey_touches(*where) -> list[tuple[tuple, Touch]]:
    """The delivered journey sends matching ``where`` in the viewer's scope, each as
    ``(id, sent on, guide, customer, step)`` and its touch: the customer, from the moment
    the guide confirmed the send (its creation when WeCom gave no time)."""
    sends = db.session.execute(
        scoped(
            select(
                JourneySend.id,
                JourneySend.sent_on,
                JourneySend.guide_id,
                JourneySend.customer_id,
                JourneySend.step_id,
                JourneySend.franchisee_id,
                JourneySend.confirmed_at,
                JourneySend.created_at,
            ),  # fmt: skip
            JourneySend,
        ).where(JourneySend.status == S_SENT, JourneySend.sent_on.is_not(None), *where)
    ).all()
    return [
        ((i, day, guide, customer, step),
         Touch((i,), day, as_utc(confirmed or created), guide, franchisee, frozenset({customer})))
        for i, day, guide, customer, step, franchisee, confirmed, created in sends
    ]  # fmt: skip


def attribute(touches: list[Touch], days: int) -> dict[tuple, Outcome]:
    """Each touch's orders (see the module docstring); one query per 500 customers."""
    out: dict[tuple, Outcome] = {t.key: Outcome() for t in touches}
    guides = {t.guide_id for t in touches if t.guide_id is not None}
    customers = set().union(*(t.customers for t in touches)) if touches else set()
    if not guides or not customers:
        return out
    code_guide: dict[str | None, int | None] = dict(
        db.session.execute(
            select(ShareCode.code, ShareCode.guide_id).where(ShareCode.guide_id.in_(guides))
        ).all()
    )
    first = min(t.since for t in touches)
    by_customer: dict[int, list] = defaultdict(list)
    columns = (Order.id, Order.customer_id, Order.franchisee_id, Order.share_code,
               Order.paid_at, Order.paid_fen)  # fmt: skip
    paid = (Order.share_code.in_(list(code_guide)), Order.status.in_(PAID_STATUSES),
            Order.paid_at >= first)  # fmt: skip
    for order_id, customer_id, franchisee_id, code, paid_at, fen in _rows(
        columns, Order.customer_id, customers, *paid
    ):
        paid_at = as_utc(paid_at)
        by_customer[customer_id].append(
            (order_id, franchisee_id, code_guide[code], paid_at, shanghai_day(paid_at), fen)
        )
    for touch in touches:
        last = touch.day + timedelta(days=days)
        result = out[touch.key]
        for customer_id in touch.customers:
            for order_id, franchisee_id, guide_id, paid_at, paid_day, fen in by_customer[
                customer_id
            ]:
                if (
                    guide_id == touch.guide_id
                    and franchisee_id == touch.franchisee_id
                    and paid_at >= touch.since
                    and paid_day <= last
                ):
                    result.orders[order_id] = fen
                    result.customers.add(customer_id)
    return out
