"""Trade-in of old gold (以旧换新, issue 19), every step recorded for audit.

1. **Intake** (``take_in``, a store of the customer's franchisee): the metal, the weight
   on the store's scale and the purity its tester reads, each inside what the store can
   test (TESTABLE: weight 0.1 g – 1 kg; gold 375–999 ‰, platinum 850–999 ‰, silver
   800–999 ‰; else 422 naming the field). Valued at the day's buy-back price::

       value = round_half_up(weight_mg × purity‰ × buyback_fen_per_gram / 1,000,000)

   with the board entry it used kept on the trade-in.
2. Either **credited** (``credit``) against a new, unpaid order of the same customer and
   franchisee, not yet sent to WeChat: one conditional UPDATE lowers its payable by the
   value (which must leave at least 1 fen to pay; else pay it out), and the ledger gets
   ``postings.TRADE_IN_CREDIT`` (Dr old_gold / Cr sales of the franchisee that took it
   in). If that order is cancelled or closed, ``release`` (from ``orders._release``)
   reverses the posting and the trade-in may be credited again.
3. Or **paid out** (``pay_out``): ``postings.TRADE_IN_PAYOUT`` (Dr old_gold / Cr wallet).

Every step is a ``TradeInEvent``; a step from the wrong state is a 409.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from app.auth.principal import Principal
from app.clock import shanghai_day, utcnow
from app.db import committing
from app.errors import Conflict
from app.extensions import db
from app.i18n import tr
from app.list_query import where_given
from app.row_state import move_status
from franchise.models import CREATED, Order, TradeIn, TradeInEvent
from franchise.services import ledger, postings
from franchise.services.base import invalid
from franchise.services.pricing import latest_price
from franchise.services.steps import add_step, case_holders, customer_and_store, record_no

MIN_WEIGHT_MG, MAX_WEIGHT_MG = 100, 1_000_000
TESTABLE = {"gold": (375, 999), "platinum": (850, 999), "silver": (800, 999)}
MARKS = {"gold": "Au", "platinum": "Pt", "silver": "Ag"}


def value_fen(weight_mg: int, purity_permille: int, buyback_fen_per_gram: int) -> int:
    """The buy-back value in fen, rounded half up once."""
    return (weight_mg * purity_permille * buyback_fen_per_gram + 500_000) // 1_000_000


def _step(trade_in: TradeIn, step: str, principal: Principal | None, note: str = "") -> None:
    add_step(TradeInEvent, principal, note, trade_in_id=trade_in.id, step=step)


def _check(data: dict) -> tuple[int, int]:
    metal = data.get("metal")
    if metal not in TESTABLE:
        raise invalid("metal", "Gold, platinum or silver.")
    weight, purity = data.get("weight_mg"), data.get("purity_permille")
    if not isinstance(weight, int) or not MIN_WEIGHT_MG <= weight <= MAX_WEIGHT_MG:
        raise invalid("weight_mg", "The store weighs 0.1 g to 1 kg.")
    low, high = TESTABLE[metal]
    if not isinstance(purity, int) or not low <= purity <= high:
        tested = tr("The store tests %(low)s‰ to %(high)s‰ for this metal.", low=low, high=high)
        raise invalid("purity_permille", tested)
    return weight, purity


def take_in(data: dict, principal: Principal) -> TradeIn:
    """Weigh, test and value old metal at a store (commits); see the module docstring."""
    with committing(db.session):
        weight, purity = _check(data)
        customer, store = customer_and_store(data, principal)
        board = latest_price(data["metal"])
        if board is None:
            raise invalid("metal", "HQ has entered no price for this metal yet.")
        trade_in = TradeIn(
            trade_in_no=record_no("TI"),
            **case_holders(customer, store),
            metal=data["metal"],
            purity=f"{MARKS[data['metal']]}{purity}",
            purity_permille=purity,
            weight_mg=weight,
            metal_price_id=board.id,
            buyback_fen_per_gram=board.buyback_fen_per_gram,
            value_fen=value_fen(weight, purity, board.buyback_fen_per_gram),
            description=(data.get("description") or "")[:255],
            created_by_user_id=principal.user_id,
        )
        db.session.add(trade_in)
        db.session.flush()
        _step(trade_in, "valued", principal, f"{weight} mg × {purity}‰ at the day's price")
    return trade_in


def _settle(trade_in: TradeIn, to: str, **values) -> None:
    """valued → ``to`` by one conditional UPDATE (409 when it moved meanwhile)."""
    if not move_status(trade_in, "valued", to, settled_at=utcnow(), **values):
        raise Conflict("This trade-in is already settled.", code="trade_in_settled")
    db.session.refresh(trade_in)


def _post(table, trade_in: TradeIn, key: str, order: Order | None) -> None:
    fields = {"trade_in_no": trade_in.trade_in_no, "order_no": order.order_no if order else ""}
    ledger.post_many(
        trade_in.franchisee_id,
        postings.build(
            table,
            key,
            {"gross": trade_in.value_fen},
            fields,
            business_date=shanghai_day(),
            order_id=order.id if order else None,
        ),
    )


def credit(trade_in: TradeIn, order_id: int, principal: Principal) -> TradeIn:
    """Credit the value against an unpaid order of the same customer (commits)."""
    with committing(db.session):
        if trade_in.status != "valued":
            raise Conflict("This trade-in is already settled.", code="trade_in_settled")
        order = db.session.get(Order, order_id)
        if order is None or order.customer_id != trade_in.customer_id:
            raise invalid("order_id", "An order of the same customer.")
        if order.franchisee_id != trade_in.franchisee_id:
            raise invalid("order_id", "An order of the franchisee that took the gold in.")
        lowered = db.session.execute(
            update(Order)
            .where(
                Order.id == order.id,
                Order.status == CREATED,
                Order.out_trade_no.is_(None),
                Order.payable_fen > trade_in.value_fen,
            )
            .values(
                discount_fen=Order.discount_fen + trade_in.value_fen,
                payable_fen=Order.payable_fen - trade_in.value_fen,
            )
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult, lowered).rowcount != 1:
            raise invalid(
                "order_id",
                "An unpaid order not yet sent to payment, worth more than the trade-in.",
            )
        _settle(trade_in, "credited", order_id=order.id)
        _post(postings.TRADE_IN_CREDIT, trade_in, f"{trade_in.id}:{order.id}", order)
        _step(trade_in, "credited", principal, f"order {order.order_no}")
    return trade_in


def pay_out(trade_in: TradeIn, principal: Principal) -> TradeIn:
    """Pay the value out to the customer (commits)."""
    with committing(db.session):
        _settle(trade_in, "paid_out")
        _post(postings.TRADE_IN_PAYOUT, trade_in, str(trade_in.id), None)
        _step(trade_in, "paid_out", principal)
    return trade_in


def cancel(trade_in: TradeIn, principal: Principal) -> TradeIn:
    """The customer takes the gold back before it is settled (commits)."""
    with committing(db.session):
        _settle(trade_in, "cancelled")
        _step(trade_in, "cancelled", principal)
    return trade_in


def release(order: Order) -> None:
    """An order that will not be paid gives its trade-in credit back: the posting is
    reversed and the trade-in is valued again (inside the order's transaction)."""
    trade_in = db.session.scalars(
        select(TradeIn).where(TradeIn.order_id == order.id, TradeIn.status == "credited")
    ).first()
    if trade_in is None:
        return
    _post(postings.TRADE_IN_RELEASE, trade_in, f"{trade_in.id}:{order.id}", order)
    trade_in.status, trade_in.order_id, trade_in.settled_at = "valued", None, None
    _step(trade_in, "released", None, f"order {order.order_no} not paid")


def trade_in_stmt(args: dict):
    """Trade-ins newest first; filters ``status``, ``store_id``, ``customer_id``."""
    stmt = select(TradeIn).order_by(TradeIn.id.desc())
    stmt = where_given(stmt, TradeIn, args, ("status", "store_id", "customer_id"))
    return stmt
