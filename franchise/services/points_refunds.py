"""What a successful refund does to points (called inside ``refunds.complete_refund``'s
transaction, after the order's ``refunded_fen`` counts the refund).

Both sides move in proportion to the amount refunded, cumulatively, so the last refund
of an order reverses exactly what is left: the points earned are taken back
(``unearn:<refund>``, from each carrier in its own proportion) and the points burned
are given back (``burn_return:refund:<refund>``). Points the member no longer holds
are booked to ``debt:<customer>``; with HQ's rule ``write_off`` HQ's carrier account
absorbs that debt at once (``write_off:<refund>``), so the balance stays at zero.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.clock import shanghai_day
from app.db import lock_row
from app.extensions import db
from franchise.models import Member, Order, PointAccount, PointEntry, PointTransaction
from franchise.services import member_settings, points, points_book
from franchise.services.ledger import proportional
from franchise.services.points_book import HQ, account_code


def _carrier_points(order_id: int, kind: str) -> dict[str, int]:
    """Points per carrier account moved by the order's postings of ``kind`` (debits
    for earn, credits for unearn)."""
    side = PointEntry.debit if kind == "earn" else PointEntry.credit
    rows = db.session.execute(
        select(PointAccount.code, func.sum(side))
        .join(PointEntry, PointEntry.account_id == PointAccount.id)
        .join(PointTransaction, PointTransaction.id == PointEntry.transaction_id)
        .where(
            PointTransaction.order_id == order_id,
            PointTransaction.kind == kind,
            PointAccount.kind == "carrier",
        )
        .group_by(PointAccount.code)
    ).all()
    return {code: int(n or 0) for code, n in rows}


def on_refund(order: Order, refund) -> None:
    """Reverse the order's points for ``refund`` (no commit)."""
    points.earn_for_order(order)  # a refund before the ORDER_PAID listener still finds its points
    refunded, paid = order.refunded_fen, order.paid_fen
    earned = _carrier_points(order.id, "earn")
    taken = _carrier_points(order.id, "unearn")
    back = {
        code: proportional(n, refunded, paid) - taken.get(code, 0) for code, n in earned.items()
    }
    back = {code: n for code, n in back.items() if n > 0}
    # the burned points come back first, so taking the earned ones finds them
    burned, _value = points._order_total("burn", order.id)
    returned, _value = points._order_total("burn_return", order.id)
    give = proportional(burned, refunded, paid) - returned
    if give > 0:
        points._return_burn(order, f"burn_return:refund:{refund.id}", give, refund.id)
    total = sum(back.values())
    if total > 0:
        _unearn(order, refund, back, total)


def _unearn(order: Order, refund, back: dict[str, int], total: int) -> None:
    cid = order.customer_id
    lock_row(db.session, Member, points.members.ensure(cid).id)
    held = int(db.session.scalar(select(Member.points).where(Member.customer_id == cid)) or 0)
    from_member = min(held, total)
    owed = total - from_member
    _earned, value = points._order_total("earn", order.id)
    lines = [(code, 0, n) for code, n in back.items()]
    lines += [(account_code("member", cid), from_member, 0), (account_code("debt", cid), owed, 0)]
    day = shanghai_day()
    points_book.post(
        f"unearn:{refund.id}",
        "unearn",
        cid,
        lines,
        value_fen=value,
        business_date=day,
        franchisee_id=order.franchisee_id,
        order_id=order.id,
        refund_id=refund.id,
        memo=order.order_no,
        consumed=from_member,
    )
    if owed and member_settings.config()["refund_shortfall"] == "write_off":
        write_off(cid, owed, f"write_off:{refund.id}", value)


def write_off_debt(customer_id: int) -> int:
    """HQ decides: the member's whole debt is written off now (commits); the points."""
    owed = points.debt_of(customer_id)
    if owed > 0:
        n = db.session.scalar(
            select(func.count()).where(
                PointTransaction.customer_id == customer_id, PointTransaction.kind == "write_off"
            )
        )
        value = int(member_settings.config()["point_value_fen"])
        write_off(customer_id, owed, f"write_off:hq:{customer_id}:{int(n or 0) + 1}", value)
    db.session.commit()
    return max(owed, 0)


def write_off(customer_id: int, points_owed: int, key: str, value_fen: int) -> None:
    """HQ absorbs ``points_owed`` of the member's debt (its carrier account); no commit."""
    points_book.post(
        key,
        "write_off",
        customer_id,
        [
            (account_code("carrier", HQ), points_owed, 0),
            (account_code("debt", customer_id), 0, points_owed),
        ],
        value_fen=value_fen,
        business_date=shanghai_day(),
        memo="debt written off",
    )
