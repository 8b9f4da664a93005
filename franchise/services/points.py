"""Points: earning, spending, refunds, rewards and the exchange of point items.

Everything is a posting of ``franchise.services.points_book`` (idempotent by key), in
the caller's transaction unless a function says it commits:

- **earn** ``earn:<order>`` — on a paid order, ``paid_fen × earn_pct(level) // 10000``
  points (the cash actually paid: points used on it are not paid), the cost carried as
  HQ set (``member_settings.carrier_split``); a debt from an earlier refund is repaid
  first. Orders are earned off the notify's path by the ``ORDER_PAID`` listener
  ``earn_on_paid`` (the minute's one read of new payments), swept nightly by
  ``earn_paid`` (whatever a failed listener left), by ``catch_up`` when the member
  looks, and before any refund (so a refund always finds what to reverse); the notify
  path itself is untouched (its one-statement PostgreSQL benchmark). The key
  ``earn:<order>`` makes every one of them earn an order once.
- **burn** ``burn:<order>`` — points used at checkout, at most HQ's cap of the order,
  credited to the order's franchisee (the value it gave away); taken with the
  conditional update in ``points_book.post``, so two orders cannot spend the same points.
- **burn_return** — a cancelled or closed order gives its points back; a refund gives
  back the burned points in proportion to the amount refunded.
- **unearn** ``unearn:<refund>`` — a refund takes back the points earned, in proportion;
  what the member no longer holds is booked to ``debt:<customer>`` (HQ's rule: kept as a
  debt that later earnings repay, or written off at once), never a negative balance.
- **event** — sign-up, birthday (once a year), completed profile, HQ's amounts.
- **exchange** — a point item for points alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import func, select

from app.clock import shanghai_day, shanghai_day_bounds, utcnow
from app.extensions import db
from app.i18n import tr
from franchise.models import (
    Customer,
    Member,
    Order,
    PointLot,
    PointTransaction,
)
from franchise.services import member_settings, members, points_book
from franchise.services.base import invalid
from franchise.services.points_book import account_code

log = logging.getLogger("siyu.franchise.points")

EVENTS = ("signup", "birthday", "profile")


def _upsert_lot(member_id: int, expires_on: date, points: int) -> None:
    """Add ``points`` to the member's lot expiring on ``expires_on``."""
    db.session.execute(
        _lot_upsert(db.engine.dialect.name),
        {"member_id": member_id, "expires_on": expires_on, "points": points},
    )


@lru_cache(maxsize=4)
def _lot_upsert(dialect: str):
    """``INSERT … ON CONFLICT (member_id, expires_on) DO UPDATE`` adding the points, built
    once per dialect (the values come at execution)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(PointLot.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["member_id", "expires_on"],
        set_={"points": PointLot.__table__.c.points + stmt.excluded.points},
    )


def is_pg() -> bool:
    return db.engine.dialect.name == "postgresql"


def debt_of(customer_id: int) -> int:
    """Points the member owes (debit balance of ``debt:<customer>``)."""
    return -points_book.account_balance(account_code("debt", customer_id))


def _credit_member(
    member: Member | tuple[int, int],
    key: str,
    kind: str,
    points: int,
    carriers,
    cfg: dict,
    debt: int | None = None,
    **where,
) -> int | None:
    """Post ``points`` paid for by ``carriers`` ``[(owner, points)]`` to the member (a
    ``Member`` or ``(member id, customer id)``), repaying their debt first (``debt``
    when the caller knows it, else read); the unrepaid part becomes a lot (HQ's expiry
    rule)."""
    member_id, customer_id = (
        member if isinstance(member, tuple) else (member.id, member.customer_id)
    )
    repay = min(debt_of(customer_id) if debt is None else debt, points)
    lines = [(account_code("carrier", owner), n, 0) for owner, n in carriers]
    lines += [
        (account_code("debt", customer_id), 0, repay),
        (account_code("member", customer_id), 0, points - repay),
    ]
    tx = points_book.post(
        key,
        kind,
        customer_id,
        lines,
        value_fen=cfg["point_value_fen"],
        business_date=shanghai_day(),
        **where,
    )
    if tx is not None and points - repay > 0:
        _upsert_lot(member_id, member_settings.expires_on(shanghai_day(), cfg), points - repay)
    return tx


# --- earning ---------------------------------------------------------------------------


def earn_for_order(order: Order) -> int:
    """Earn the order's points once (no commit); the points earned now (0 when already
    earned, unpaid, or nothing to earn)."""
    if order.paid_at is None or order.paid_fen <= 0:  # online or store (no transaction)
        return 0
    cfg = member_settings.config()
    member = members.ensure(order.customer_id)
    rate = member_settings.level_rules(cfg).get(member.level, {}).get("earn_pct", 100)
    points = order.paid_fen * int(rate) // 10000
    if points <= 0:
        return 0
    carriers = member_settings.carrier_split(points, order.franchisee_id, cfg)
    tx = _credit_member(
        member,
        f"earn:{order.id}",
        "earn",
        points,
        carriers,
        cfg,
        franchisee_id=order.franchisee_id,
        order_id=order.id,
        memo=order.order_no,
    )
    members.review(member)
    return points if tx is not None else 0


def _unearned_orders():
    earned = select(PointTransaction.order_id).where(
        PointTransaction.kind == "earn", PointTransaction.order_id.is_not(None)
    )
    return select(Order).where(
        Order.paid_at.is_not(None), Order.paid_fen > 0, Order.id.not_in(earned)
    )


def earn_pending(customer_id: int) -> int:
    """Earn the customer's paid orders not earned yet (no commit); their count."""
    done = 0
    for order in db.session.scalars(_unearned_orders().where(Order.customer_id == customer_id)):
        earn_for_order(order)
        done += 1
    return done


def catch_up(customer_id: int) -> int:
    """``earn_pending`` and commit when anything was earned."""
    done = earn_pending(customer_id)
    if done:
        db.session.commit()
    return done


EARN_WINDOW = timedelta(days=14)  # the nightly sweep looks at orders placed this recently


def earn_on_paid(rows) -> int:
    """``ORDER_PAID`` listener: earn each newly paid order (``rows`` of ``PaidOrder``),
    one commit per order; one that fails is rolled back, logged and left to the nightly
    ``earn_paid``. Returns the orders earned now."""
    earned = 0
    for order_id in sorted({row.order_id for row in rows}):
        try:
            order = db.session.get(Order, order_id)
            if order is not None and earn_for_order(order):
                earned += 1
            db.session.commit()
        except Exception:  # noqa: BLE001 - one order stops no other; the sweep retries it
            db.session.rollback()
            log.exception("earning order %s failed", order_id)
    return earned


def earn_paid(limit: int = 500) -> int:
    """The nightly sweep: earn paid orders placed in the last ``EARN_WINDOW`` and not
    earned yet (a listener that failed), oldest first, ``limit`` ids a query (the order
    index on ``created_at`` bounds the scan); commits each; returns the orders seen.
    Older ones are earned when their member looks (``catch_up``) or on a refund."""
    recent = _unearned_orders().where(Order.created_at >= utcnow() - EARN_WINDOW)
    looked = after = 0
    while True:
        ids = list(
            db.session.scalars(
                recent.where(Order.id > after)
                .with_only_columns(Order.id)
                .order_by(Order.id)
                .limit(limit)
            )
        )
        for order_id in ids:
            order = db.session.get(Order, order_id)
            if order is not None:
                earn_for_order(order)
                db.session.commit()
        looked += len(ids)
        if len(ids) < limit:
            return looked
        after = ids[-1]


def reward_event(customer_id: int, event: str, year: int | None = None) -> int:
    """HQ's reward for ``event`` (once; a birthday once a year); no commit."""
    cfg = member_settings.config()
    points = int(cfg.get(f"{event}_points") or 0)
    if event not in EVENTS or points <= 0:
        return 0
    member = members.ensure(customer_id)
    franchisee_id = db.session.scalar(
        select(Customer.franchisee_id).where(Customer.id == customer_id)
    )
    key = f"event:{event}:{customer_id}" + (f":{year}" if year else "")
    return _reward(member, franchisee_id, event, key, points, cfg)


SIGNUP_KEY = "event:signup:"  # + the customer id: ``reward_event``'s key for the sign-up


def reward_new_member(member_id: int, customer_id: int, franchisee_id: int) -> int:
    """The sign-up reward of a member made in the caller's transaction (no commit): the
    same posting as ``reward_event(customer_id, "signup")``, from what the login already
    holds (a new member owes no debt)."""
    cfg = member_settings.config()
    points = int(cfg.get("signup_points") or 0)
    if points <= 0:
        return 0
    key = f"{SIGNUP_KEY}{customer_id}"
    return _reward((member_id, customer_id), franchisee_id, "signup", key, points, cfg, debt=0)


@dataclass(frozen=True)
class NewMemberReward:
    """The sign-up posting of a member whose customer is inserted by the same statement
    (``franchise.services.welcome_pg``): the customer's id, so the posting's key
    (``SIGNUP_KEY`` + id) and the member's account (``member:<id>``, credited ``points``),
    are the database's. ``carriers`` are the debit lines ``(account code, points)``."""

    points: int
    carriers: list[tuple[str, int]]
    value_fen: int
    business_date: date
    expires_on: date


def new_member_reward(franchisee_id: int, cfg: dict) -> NewMemberReward | None:
    """``reward_new_member``'s posting for a customer not inserted yet (checked against
    ``points_book.POSTINGS`` here); None when HQ gives no sign-up points."""
    points = int(cfg.get("signup_points") or 0)
    if points <= 0:
        return None
    carriers = [
        (account_code("carrier", owner), n)
        for owner, n in member_settings.carrier_split(points, franchisee_id, cfg)
        if n
    ]
    lines = [(code, n, 0) for code, n in carriers] + [(account_code("member", 0), 0, points)]
    points_book.check("event", lines)
    today = shanghai_day()
    return NewMemberReward(
        points, carriers, cfg["point_value_fen"], today, member_settings.expires_on(today, cfg)
    )


def _reward(member, franchisee_id, event: str, key: str, points: int, cfg: dict, debt=None):
    """Post an event's ``points`` (paid for as HQ set) to the member; the points given."""
    carriers = member_settings.carrier_split(points, franchisee_id, cfg)
    tx = _credit_member(
        member, key, "event", points, carriers, cfg, debt, franchisee_id=franchisee_id, memo=event
    )
    return points if tx is not None else 0


# --- spending at checkout --------------------------------------------------------------


def quote(customer_id: int, points, base_fen: int) -> int:
    """The fen ``points`` pay of an order whose payable would be ``base_fen``; 422
    naming ``points`` when they are not a whole positive number, more than the member
    holds, or worth more than HQ's cap."""
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        raise invalid("points", "Points are a whole number, zero or more.")
    if points == 0:
        return 0
    cfg = member_settings.config()
    earn_pending(customer_id)  # a payment the ORDER_PAID listener has not earned yet counts
    held = db.session.scalar(select(Member.points).where(Member.customer_id == customer_id)) or 0
    if points > held:
        raise invalid("points", tr("You hold %(points)s points.", points=held))
    cap_fen = base_fen * int(cfg["burn_cap_pct"]) // 100
    value = points * int(cfg["point_value_fen"])
    if value > cap_fen:
        most = cap_fen // max(1, int(cfg["point_value_fen"]))
        raise invalid("points", tr("At most %(points)s points on this order.", points=most))
    return value


def burn_for_order(order: Order) -> None:
    """Take the order's ``points_used`` from the member (no commit); 422 on ``points``
    when they were spent meanwhile (the conditional update found too few)."""
    if order.points_used <= 0:
        return
    value = order.points_fen // order.points_used
    lines = [
        (account_code("member", order.customer_id), order.points_used, 0),
        (account_code("redeemed", order.franchisee_id), 0, order.points_used),
    ]
    try:
        points_book.post(
            f"burn:{order.id}",
            "burn",
            order.customer_id,
            lines,
            value_fen=value,
            business_date=shanghai_day(),
            franchisee_id=order.franchisee_id,
            order_id=order.id,
            memo=order.order_no,
            consumed=order.points_used,
        )
    except points_book.InsufficientPoints:
        raise invalid("points", "Those points were just spent elsewhere.") from None


def _order_total(kind: str, order_id: int, refund_id: int | None = None) -> tuple[int, int]:
    """(Σ points, value of one point) of the order's postings of ``kind``."""
    row = db.session.execute(
        select(
            func.coalesce(func.sum(PointTransaction.points), 0),
            func.max(PointTransaction.value_fen),
        ).where(PointTransaction.order_id == order_id, PointTransaction.kind == kind)
    ).one()
    return int(row[0]), int(row[1] or 0)


def _return_burn(order: Order, key: str, points: int, refund_id: int | None = None) -> None:
    if points <= 0:
        return
    _burned, value = _order_total("burn", order.id)
    cfg = member_settings.config()
    member = members.ensure(order.customer_id)
    tx = points_book.post(
        key,
        "burn_return",
        order.customer_id,
        [
            (account_code("redeemed", order.franchisee_id), points, 0),
            (account_code("member", order.customer_id), 0, points),
        ],
        value_fen=value,
        business_date=shanghai_day(),
        franchisee_id=order.franchisee_id,
        order_id=order.id,
        refund_id=refund_id,
        memo=order.order_no,
    )
    if tx is not None:
        _upsert_lot(member.id, member_settings.expires_on(shanghai_day(), cfg), points)


def on_order_released(order: Order) -> None:
    """A cancelled or closed (unpaid) order gives its points back (no commit)."""
    if order.points_used > 0:
        _return_burn(order, f"burn_return:{order.id}", order.points_used)


def history_stmt(customer_id: int, filters: dict):
    """The member's points statement, newest first: the postings that moved their points,
    narrowed by ``filters`` (``kind``, ``date_from`` / ``date_to`` as Shanghai days)."""
    stmt = select(PointTransaction).where(
        PointTransaction.customer_id == customer_id, PointTransaction.member_points != 0
    )
    if filters.get("kind"):
        stmt = stmt.where(PointTransaction.kind == filters["kind"])
    start, end = shanghai_day_bounds(filters.get("date_from"), filters.get("date_to"))
    if start is not None:
        stmt = stmt.where(PointTransaction.created_at >= start)
    if end is not None:
        stmt = stmt.where(PointTransaction.created_at < end)
    return stmt.order_by(PointTransaction.id.desc())
