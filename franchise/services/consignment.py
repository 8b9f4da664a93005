"""Consignment of luxury pieces (寄售, issue 19), every step recorded.

CONSIGNMENT_FLOW, one step at a time (anything else is 422 naming ``to`` with the allowed
next states; a conditional UPDATE on the current state, so a step happens once)::

    received  (the store takes the piece in)                   → appraised | returned
    appraised (``appraised_fen``, notes)                       → agreed | returned
    agreed    (``agreed_price_fen`` and ``commission_bps`` ≤ 50 %) → listed | returned
    listed    (a one-off product at the agreed price, stock 1) → sold | returned
    sold      (a paid order holds the product)                 → paid_out

Listing creates an active product ``CS-<no>`` (category 寄售) that sells through the
ordinary order and WeChat Pay path, to the franchisee. Returning a listed piece takes
its one unit back with a conditional UPDATE (so not while an order holds it) and takes
it off sale. ``paid_out`` pays the consignor the agreed price less the commission
(rounded half up once) with ``postings.CONSIGNMENT_PAYOUT`` (Dr sales / Cr wallet), so
the franchisee keeps the commission and the ledger balances.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Select, select, update
from sqlalchemy.engine import CursorResult

from app.auth.principal import Principal
from app.clock import shanghai_day
from app.db import committing
from app.extensions import db
from app.list_query import search, where_given
from app.web.labels import word
from franchise.models import (
    REFUNDED,
    Consignment,
    ConsignmentEvent,
    Customer,
    Order,
    OrderLine,
    Product,
)
from franchise.services import ledger, postings
from franchise.services.base import invalid
from franchise.services.catalog import MAX_PRICE_FEN
from franchise.services.steps import (
    add_step,
    case_holders,
    customer_and_store,
    record_no,
    take_step,
)

CONSIGNMENT_FLOW: dict[str, tuple[str, ...]] = {
    "received": ("appraised", "returned"),
    "appraised": ("agreed", "returned"),
    "agreed": ("listed", "returned"),
    "listed": ("sold", "returned"),
    "sold": ("paid_out",),
}
MAX_COMMISSION_BPS = 5000
# steps the intake may record at once, each when its amount is given
INTAKE_STEPS = (("appraised", "appraised_fen"), ("agreed", "agreed_price_fen"))
# the way a consignment goes when all is well (``returned`` leaves it at any step)
MAIN_LINE = ("received", "appraised", "agreed", "listed", "sold", "paid_out")


def state_label(status: str) -> str:
    return word("consignment_status", status)


def payout_fen(price_fen: int, commission_bps: int) -> int:
    """What the consignor receives: the price less the commission, rounded half up."""
    commission = (price_fen * commission_bps + 5000) // 10000
    return price_fen - commission


def take_in(data: dict, principal: Principal) -> Consignment:
    """The store takes a piece in on consignment (commits). With ``appraised_fen`` the
    appraisal is recorded too, and with ``agreed_price_fen`` (and ``commission_bps``)
    the agreed price, each as its own step in the same commit (``INTAKE_STEPS``)."""
    with committing(db.session):
        customer, store = customer_and_store(data, principal)
        if not (data.get("description") or "").strip():
            raise invalid("description", "Describe the piece.")
        if data.get("agreed_price_fen") is not None and data.get("appraised_fen") is None:
            raise invalid("appraised_fen", "Appraise the piece before agreeing its price.")
        row = Consignment(
            consignment_no=record_no("CS"),
            **case_holders(customer, store),
            description=data["description"].strip()[:255],
        )
        db.session.add(row)
        db.session.flush()
        _event(row, None, "received", principal, "taken in")
        for step, field in INTAKE_STEPS:
            if data.get(field) is not None:
                previous = take_step(row, step, CONSIGNMENT_FLOW, state_label)
                _apply(row, step, data)
                _event(row, previous, step, principal, "at intake")
    return row


def _event(row: Consignment, from_status, to: str, principal: Principal | None, note=""):
    add_step(
        ConsignmentEvent,
        principal,
        note,
        consignment_id=row.id,
        from_status=from_status,
        to_status=to,
    )


def _price(data: dict, field: str) -> int:
    value = data.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PRICE_FEN:
        raise invalid(field, "A price in fen above 0.")
    return value


def _paid_order_of(product_id: int) -> Order | None:
    return db.session.scalars(
        select(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.product_id == product_id, Order.paid_at.is_not(None))
        .where(Order.status != REFUNDED)
        .limit(1)
    ).first()


def _apply(row: Consignment, to: str, data: dict) -> None:
    """What each step writes (inside ``move``'s transaction)."""
    if to == "appraised":
        row.appraised_fen = _price(data, "appraised_fen")
        row.appraisal_notes = data.get("appraisal_notes") or ""
    elif to == "agreed":
        row.agreed_price_fen = _price(data, "agreed_price_fen")
        bps = data.get("commission_bps", row.commission_bps)
        if not isinstance(bps, int) or not 0 <= bps <= MAX_COMMISSION_BPS:
            raise invalid("commission_bps", "A commission of 0 to 5000 basis points.")
        row.commission_bps = bps
    elif to == "listed":
        assert row.agreed_price_fen is not None
        product = Product(
            sku=row.consignment_no,
            name=f"寄售 · {row.description}"[:64],
            category="寄售",
            price_fen=row.agreed_price_fen,
            stock=1,
            description=row.description,
            is_active=True,
        )
        db.session.add(product)
        db.session.flush()
        row.product_id = product.id
    elif to == "sold":
        order = _paid_order_of(row.product_id or 0)
        if order is None:
            raise invalid("to", "No paid order holds this piece yet.")
        row.order_id = order.id
    elif to == "returned" and row.product_id is not None:
        taken_back = db.session.execute(
            update(Product)
            .where(Product.id == row.product_id, Product.stock == 1)
            .values(stock=0, is_active=False)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult, taken_back).rowcount != 1:
            raise invalid("to", "An order holds this piece; it cannot be returned now.")
    elif to == "paid_out":
        assert row.agreed_price_fen is not None
        row.payout_fen = payout_fen(row.agreed_price_fen, row.commission_bps)
        ledger.post_many(
            row.franchisee_id,
            postings.build(
                postings.CONSIGNMENT_PAYOUT,
                str(row.id),
                {"gross": row.payout_fen},
                {"consignment_no": row.consignment_no},
                business_date=shanghai_day(),
                order_id=row.order_id,
            ),
        )


def move(row: Consignment, to: str, principal: Principal, data: dict | None = None):
    """One step of ``row`` (loaded through the caller's scope); commits."""
    data = data or {}
    with committing(db.session):
        previous = take_step(row, to, CONSIGNMENT_FLOW, state_label)
        _apply(row, to, data)
        _event(row, previous, to, principal, data.get("note") or "")
    return row


def consignment_stmt(args: dict) -> Select:
    """Consignments newest first; filters ``status``, ``store_id``, ``customer_id``, and
    ``consignor`` (part of the consignor's name or phone) and ``q`` (the number)."""
    stmt = select(Consignment).order_by(Consignment.id.desc())
    stmt = where_given(stmt, Consignment, args, ("status", "store_id", "customer_id"))
    if args.get("consignor"):
        consignors = search(
            select(Customer.id), args["consignor"], Customer.nickname, Customer.phone
        )
        stmt = stmt.where(Consignment.customer_id.in_(consignors))
    if args.get("q"):
        stmt = stmt.where(Consignment.consignment_no.contains(args["q"], autoescape=True))
    return stmt


def timeline(row: Consignment) -> list[tuple[str, str]]:
    """The steps as the detail page shows them: ``(state, done | current | upcoming)``
    along ``MAIN_LINE``, or up to where it left and then ``returned``."""
    reached = {e.to_status for e in row.events} | {row.status}
    if row.status == "returned":
        line = [s for s in MAIN_LINE if s in reached] + ["returned"]
    else:
        line = list(MAIN_LINE)
    return [
        (s, "current" if s == row.status else ("done" if s in reached else "upcoming"))
        for s in line
    ]
