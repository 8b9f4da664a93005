"""In-store appointments: hourly slots 10:00–21:00 (Asia/Shanghai) with a per-store capacity.

Booking counts the slot's bookings inside the transaction after locking the store row
(``app.db.lock_row``: ``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a write that
changes nothing takes the database write lock first), so concurrent bookings never
exceed the capacity (``tests/franchise/test_atomic_capacity.py``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from app.clock import SHANGHAI, as_utc, utcnow
from app.db import lock_row
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.i18n import tr
from franchise.models import APPOINTMENT_KINDS, Appointment, Customer, Order, Store
from franchise.services import members
from franchise.services.assignment import extend_binding
from franchise.services.base import invalid

FIRST_HOUR, LAST_HOUR = 10, 21  # slots start 10:00 … 20:00 and end by 21:00
BOOKED, CANCELLED = "booked", "cancelled"
MAX_DAYS_AHEAD = 60


def slot_starts(day: date) -> list[datetime]:
    """The UTC starts of a day's hourly slots in Shanghai."""
    return [
        datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)
        for hour in range(FIRST_HOUR, LAST_HOUR)
    ]


def _booked_counts(store_id: int, starts: list[datetime]) -> dict:
    rows = db.session.execute(
        select(Appointment.slot_start, func.count())
        .where(
            Appointment.store_id == store_id,
            Appointment.status == BOOKED,
            Appointment.slot_start.between(starts[0], starts[-1]),
        )
        .group_by(Appointment.slot_start)
    )
    return {as_utc(start): n for start, n in rows}


def day_slots(store: Store, day: date) -> list[dict]:
    """``[{"start", "end", "capacity", "booked", "remaining", "available"}]`` for ``day``."""
    starts = slot_starts(day)
    booked = _booked_counts(store.id, starts)
    now = utcnow()
    slots = []
    for start in starts:
        taken = booked.get(start, 0)
        remaining = max(store.appointment_capacity - taken, 0)
        slots.append(
            {
                "start": start,
                "end": start + timedelta(hours=1),
                "capacity": store.appointment_capacity,
                "booked": taken,
                "remaining": remaining,
                "available": store.is_open and remaining > 0 and start > now,
            }
        )
    return slots


def _lock_store(store_id: int) -> Store | None:
    """The store, read under its row lock (None when there is no such store)."""
    if not lock_row(db.session, Store, store_id):
        return None
    return db.session.get(Store, store_id, populate_existing=True)


def book(customer: Customer, data: dict) -> Appointment:
    """Book a slot for ``customer``; 409 when the slot is full or already theirs."""
    try:
        kind = data["kind"]
        if kind not in APPOINTMENT_KINDS:
            raise invalid("kind", "Unknown appointment kind.")
        start = as_utc(data["slot_start"])
        local = start.astimezone(SHANGHAI)
        if start not in slot_starts(local.date()):
            raise invalid(
                "slot_start", "Not the start of a slot (whole hours 10:00–20:00, Shanghai)."
            )
        now = utcnow()
        if start <= now:
            raise invalid("slot_start", "The slot has already started.")
        if start > now + timedelta(days=MAX_DAYS_AHEAD):
            ahead = tr("Book at most %(days)s days ahead.", days=MAX_DAYS_AHEAD)
            raise invalid("slot_start", ahead)
        order_id = data.get("order_id")
        if order_id is not None:
            order = db.session.get(Order, order_id)
            if order is None or order.customer_id != customer.id:
                raise invalid("order_id", "No such order of yours.")
        elif kind == "inspection":
            raise invalid("order_id", "An inspection needs the order to inspect.")
        store = _lock_store(data["store_id"])
        if store is None:
            raise NotFound("Store not found")
        if not store.is_open:
            raise invalid("store_id", "The store is closed.")
        mine = db.session.scalar(
            select(func.count()).where(
                Appointment.customer_id == customer.id,
                Appointment.store_id == store.id,
                Appointment.slot_start == start,
                Appointment.status == BOOKED,
            )
        )
        if mine:
            raise Conflict("You already booked this slot.")
        taken = db.session.scalar(
            select(func.count()).where(
                Appointment.store_id == store.id,
                Appointment.slot_start == start,
                Appointment.status == BOOKED,
            )
        )
        assert taken is not None  # COUNT(*) always answers
        # --- members: a level with priority slots may take one place beyond capacity
        if taken >= store.appointment_capacity + members.priority_places(customer.id):
            raise Conflict("This slot is full.", code="slot_full")
        appointment = Appointment(
            customer_id=customer.id,
            franchisee_id=store.franchisee_id,
            store_id=store.id,
            guide_id=customer.guide_at(store.id),
            order_id=order_id,
            kind=kind,
            slot_start=start,
            note=data.get("note") or "",
        )
        db.session.add(appointment)
        extend_binding(customer.id, now)  # a real event keeps the guide's binding
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return appointment


def cancel(appointment: Appointment) -> Appointment:
    """Cancel a booked appointment that has not started."""
    if appointment.status != BOOKED:
        raise Conflict("The appointment is not booked.")
    if as_utc(appointment.slot_start) <= utcnow():
        raise Conflict("The appointment has already started.")
    appointment.status = CANCELLED
    db.session.commit()
    return appointment
