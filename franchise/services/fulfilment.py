"""How an order reaches its customer (issue 19): store pickup or home delivery.

At checkout the customer chooses ``pickup`` (the default) or ``delivery`` with an
address (recipient, phone, city, street address; 422 naming the field when one is
missing). ``orders.create_order`` checks it with the other input and writes the order's
``OrderFulfilment`` (``new_row``: a six-digit pickup code) in the order's own statement.

HQ's ``ship`` records the carrier and waybill number and moves the order paid → shipped
(``orders.transition``) in one commit. ``verify_pickup`` is the store's check when the
customer collects a pickup order: the code must match (422 ``code``), then the order
moves received → picked_up, recording who verified it. The customer sees the code of
their paid pickup order, and the waybill of their delivery.
"""

from __future__ import annotations

import hmac
import secrets

from app.auth.principal import Principal
from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from franchise.models import (
    DELIVERY,
    FULFILMENT_MODES,
    PICKED_UP,
    PICKUP,
    SHIPPED,
    Order,
    OrderFulfilment,
)
from franchise.services import orders as order_service
from franchise.services.base import invalid, rollback_and_raise

ADDRESS_FIELDS = ("recipient", "phone", "city", "address")


def check_choice(choice: dict | None) -> dict:
    """The checkout's fulfilment choice, complete (422 naming the missing field)."""
    choice = dict(choice or {})
    mode = choice.get("mode") or PICKUP
    if mode not in FULFILMENT_MODES:
        raise invalid("fulfilment.mode", "Store pickup or home delivery.")
    address = choice.get("address") or {}
    if mode == DELIVERY:
        for field in ADDRESS_FIELDS:
            if not (address.get(field) or "").strip():
                raise invalid(f"fulfilment.address.{field}", "Needed for home delivery.")
    return {
        "mode": mode,
        **({k: address[k].strip() for k in ADDRESS_FIELDS} if mode == DELIVERY else {}),
    }


def new_row(checked: dict) -> OrderFulfilment:
    """The fulfilment row of a ``check_choice``-ed choice, with its six-digit pickup code
    (no order id yet: ``order_writes.write_placed`` writes it with the order)."""
    return OrderFulfilment(pickup_code=f"{secrets.randbelow(10**6):06d}", **checked)


def attach(order: Order, choice: dict | None) -> OrderFulfilment:
    """Write how ``order`` is fulfilled (inside the caller's transaction: an exchange's
    replacement order; a placed order's row goes with it through ``new_row``)."""
    checked = check_choice(choice)
    order.fulfilment = checked["mode"]
    row = new_row(checked)
    row.order_id = order.id
    db.session.add(row)
    return row


def of(order: Order) -> OrderFulfilment | None:
    return db.session.get(OrderFulfilment, order.id)


def ship(order: Order, carrier: str, waybill_no: str, principal: Principal) -> Order:
    """HQ ships a paid order: carrier and waybill recorded, paid → shipped (commits)."""
    try:
        if not carrier.strip():
            raise invalid("carrier", "Name the carrier.")
        if not waybill_no.strip():
            raise invalid("waybill_no", "Give the waybill number.")
        row = of(order)
        if row is None:
            row = OrderFulfilment(order_id=order.id, mode=order.fulfilment, pickup_code="")
            db.session.add(row)
        row.carrier, row.waybill_no, row.shipped_at = carrier.strip(), waybill_no.strip(), utcnow()
    except DomainError as exc:
        rollback_and_raise(exc)
    note = f"{row.carrier} {row.waybill_no}"
    return order_service.transition(order, SHIPPED, principal, note)


def verify_pickup(order: Order, code: str, principal: Principal) -> Order:
    """The store checks the customer's pickup code, then received → picked_up (commits)."""
    try:
        row = of(order)
        if row is None or row.mode != PICKUP:
            raise invalid("code", "This order is not a store pickup.")
        if not row.pickup_code or not hmac.compare_digest(row.pickup_code, code.strip()):
            raise invalid("code", "The pickup code does not match.")
        row.picked_up_at, row.verified_by_user_id = utcnow(), principal.user_id
    except DomainError as exc:
        rollback_and_raise(exc)
    return order_service.transition(order, PICKED_UP, principal, "pickup code verified")


def view(order: Order, for_customer: bool) -> dict:
    """The fulfilment as the API shows it; the pickup code only to the customer, and
    only once the order is paid."""
    row = of(order)
    answer: dict = {"mode": order.fulfilment, "carrier": "", "waybill_no": "", "shipped_at": None}
    if row is None:
        return answer
    answer.update(
        recipient=row.recipient,
        phone=row.phone,
        city=row.city,
        address=row.address,
        carrier=row.carrier,
        waybill_no=row.waybill_no,
        shipped_at=row.shipped_at,
        picked_up_at=row.picked_up_at,
    )
    if for_customer and row.mode == PICKUP and order.paid_at is not None:
        answer["pickup_code"] = row.pickup_code
    return answer
