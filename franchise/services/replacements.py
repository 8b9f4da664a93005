"""A replacement order after a defect (issue 19): the O2O inspection's ``exchange``.

When the store finds a defect at the inspection of a paid online order and the remedy
is an exchange, ``replace`` writes, in the caller's transaction (the outcome's):

* a replacement order for the same customer, franchisee, store and guide with the same
  lines (product, size, quantity, the original's unit prices and price snapshot), its
  ``replaces_order_id`` the original. It has no payment of its own: the original's
  carries over. Its ``discount_fen`` is its whole total ("covered by the original"),
  so ``payable_fen = 0`` and ``paid_fen = 0``; it starts ``paid`` (at the original's
  ``paid_at``) and moves on as any paid order does (shipped or picked up).
* the original's pieces come back to their store as defective, never sold again
  (``pieces.set_aside_defective``); the replacement holds other pieces of the same
  product and size (``pieces.hold_for_order``, 409 ``piece_taken`` when none is left)
  and takes the stock as an order does (422 ``items`` when there is none);
* the fulfilment as the original's: pickup (a new code) or delivery to the same address;
* an order event on each, naming the other.

No money moves: the lines are at the original's prices, so there is no difference to
post; nothing is written to the ledger (``postings`` has no replacement posting, and a
test checks the ledger is unchanged and balanced). ``ORDER_PAID`` is not fired: the
credit, commission and points of the sale stay on the original. Refunds stay on the
original too (the replacement's refundable amount is 0). One replacement per order
(``orders.replaces_order_id`` is unique; a second is 409).
"""

from __future__ import annotations

from sqlalchemy import select

from app.auth.principal import Principal
from app.errors import Conflict
from app.extensions import db
from franchise.models import (
    CANCELLED,
    CLOSED,
    PAID,
    REFUNDED,
    Order,
    OrderEvent,
    OrderLine,
    OrderLinePricing,
)
from franchise.services import fulfilment, pieces
from franchise.services.base import invalid
from franchise.services.order_lines import new_order_no, take_stocks
from franchise.services.pricing import SNAPSHOT_FIELDS

LINE_FIELDS = ("product_id", "sku", "name", "unit_price_fen", "quantity", "line_total_fen")


def replacement_of(order: Order) -> Order | None:
    """The order replacing ``order``, if any."""
    return db.session.scalars(select(Order).where(Order.replaces_order_id == order.id)).first()


def original_of(order: Order) -> Order | None:
    """The order ``order`` replaces, if it is a replacement."""
    return db.session.get(Order, order.replaces_order_id) if order.replaces_order_id else None


def reference(order: Order | None) -> dict | None:
    """How the API names the other order of an exchange."""
    if order is None:
        return None
    return {"id": order.id, "order_no": order.order_no, "status": order.status}


def _snapshot(line: OrderLine) -> OrderLinePricing | None:
    """The price components ``line`` was sold at (issue 19's snapshot), if kept."""
    return getattr(line, "price_snapshot", None)


def _copy_line(line: OrderLine) -> OrderLine:
    """The same line, and its price snapshot, for the replacement."""
    copy = OrderLine(**{k: getattr(line, k) for k in LINE_FIELDS})
    snapshot = _snapshot(line)
    if snapshot is not None:
        OrderLinePricing(line=copy, **{k: getattr(snapshot, k) for k in SNAPSHOT_FIELDS})
    return copy


def _fulfilment_choice(order: Order) -> dict:
    row = fulfilment.of(order)
    if row is None or row.mode != "delivery":
        return {"mode": "pickup"}
    address = {k: getattr(row, k) for k in fulfilment.ADDRESS_FIELDS}
    return {"mode": "delivery", "address": address}


def replace(original: Order, principal: Principal, note: str = "") -> Order:
    """Write the replacement of ``original`` (see the module docstring); no commit."""
    gone = original.status in (CANCELLED, CLOSED, REFUNDED) or original.refunded_fen
    if original.paid_at is None or gone:
        raise invalid("remedy", "Only a paid order, not refunded, can be exchanged.")
    if replacement_of(original) is not None:
        raise Conflict("This order has already been exchanged.", code="already_exchanged")
    lines = [_copy_line(line) for line in original.lines]
    total = sum(line.line_total_fen for line in lines)
    replacement = Order(
        order_no=new_order_no(),
        customer_id=original.customer_id,
        franchisee_id=original.franchisee_id,
        store_id=original.store_id,
        guide_id=original.guide_id,
        channel=original.channel,
        status=PAID,
        total_fen=total,
        discount_fen=total,
        payable_fen=0,
        paid_fen=0,
        paid_at=original.paid_at,
        replaces_order_id=original.id,
        lines=lines,
    )
    db.session.add(replacement)
    db.session.flush()
    role = principal.role
    db.session.add_all(
        [
            OrderEvent(
                order_id=replacement.id,
                to_status=PAID,
                actor_role=role,
                actor_user_id=principal.user_id,
                note=f"replacement of {original.order_no} {note}".strip()[:255],
            ),
            OrderEvent(
                order_id=original.id,
                from_status=original.status,
                to_status=original.status,
                actor_role=role,
                actor_user_id=principal.user_id,
                note=f"exchanged: replacement {replacement.order_no}",
            ),
        ]
    )
    pieces.set_aside_defective(original)
    variants = {
        line.product_id: snapshot.variant_id
        for line in original.lines
        if (snapshot := _snapshot(line)) is not None and snapshot.variant_id is not None
    }
    pieces.hold_for_order(replacement, lines, variants)
    fulfilment.attach(replacement, _fulfilment_choice(original))
    take_stocks(lines)
    return replacement
