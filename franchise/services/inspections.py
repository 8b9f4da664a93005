"""What an O2O inspection came to, as the pages show it (issue 19).

One shape for the guide's result page (``/m/appointments/<id>/result``) and the order
page (``/admin/orders/<id>``): the result (accepted / defect), the remedy (exchange /
refund), the note, who recorded it (a name) and when, and the order it leads to: the
replacement order of an exchange, or the refund.

The refund is linked explicitly (``AppointmentOutcome.refund_id``), never guessed from the
order's refunds: an owner recording a defect with the refund remedy issues it with the
outcome (``appointment_outcomes.record``); a guide's defect-with-refund waits ("awaiting
the refund") until the owner or HQ issues it with the order page's refund form or
``POST /orders/<id>/refunds``, naming the inspection (``inspection_id``). ``settle`` links
it in the refund's own transaction by one conditional UPDATE, so an inspection is settled
by one refund at most, and a refund for another reason on the same order is never taken
for it. Outcomes recorded before the link existed were linked by the migration
``b8d3e5f7a9c1`` (the newest refund of the order recorded after the outcome: the rule the
pages used to apply when showing them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.errors import Conflict
from app.extensions import db
from app.i18n import tr
from franchise.models import Appointment, AppointmentOutcome, Order, Refund
from franchise.services.base import invalid
from franchise.services.case_history import user_name


@dataclass
class InspectionView:
    """An inspection outcome with the names and objects a page links to."""

    outcome: AppointmentOutcome
    appointment: Appointment
    recorded_by: str
    replacement: Order | None
    refund: Refund | None

    @property
    def awaiting_refund(self) -> bool:
        return self.outcome.remedy == "refund" and self.refund is None


def settle(order_id: int, appointment_id: int, refund_id: int) -> None:
    """Record that refund ``refund_id`` (flushed, of order ``order_id``) settles the
    inspection ``appointment_id`` of that order, which must be awaiting its refund: one
    conditional UPDATE, so of two refunds naming the same inspection one settles it and
    the other is refused (its transaction, reservation included, is rolled back by the
    caller). 409 when it is settled already; 422 on ``inspection_id`` when the order has
    no such inspection awaiting a refund. Not committed."""
    of_order = select(Appointment.id).where(
        Appointment.order_id == order_id, Appointment.kind == "inspection"
    )
    result = db.session.execute(
        update(AppointmentOutcome)
        .where(
            AppointmentOutcome.appointment_id == appointment_id,
            AppointmentOutcome.appointment_id.in_(of_order),
            AppointmentOutcome.remedy == "refund",
            AppointmentOutcome.refund_id.is_(None),
        )
        .values(refund_id=refund_id)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult, result).rowcount == 1:
        held = db.session.identity_map.get(identity_key(AppointmentOutcome, appointment_id))
        if held is not None:  # the outcome just recorded (``appointment_outcomes.record``)
            set_committed_value(held, "refund_id", refund_id)
        return
    settled = db.session.scalar(
        select(AppointmentOutcome.refund_id).where(
            AppointmentOutcome.appointment_id == appointment_id,
            AppointmentOutcome.appointment_id.in_(of_order),
            AppointmentOutcome.remedy == "refund",
        )
    )
    if settled is not None:
        raise Conflict(
            "This inspection's refund is issued already.",
            code="inspection_settled",
            errors={"inspection_id": [tr("This inspection's refund is issued already.")]},
        )
    raise invalid("inspection_id", "This order has no such inspection awaiting a refund.")


def view(appointment: Appointment) -> InspectionView | None:
    """The outcome of ``appointment`` (loaded through the caller's scope), if recorded."""
    row = db.session.get(AppointmentOutcome, appointment.id)
    if row is None:
        return None
    replacement = (
        db.session.get(Order, row.replacement_order_id) if row.replacement_order_id else None
    )
    return InspectionView(
        outcome=row,
        appointment=appointment,
        recorded_by=user_name(row.recorded_by_user_id),
        replacement=replacement,
        refund=db.session.get(Refund, row.refund_id) if row.refund_id else None,
    )


def of_order(order: Order) -> list[InspectionView]:
    """The recorded inspections of ``order`` (loaded through the caller's scope)."""
    visits = db.session.scalars(
        select(Appointment)
        .join(AppointmentOutcome, AppointmentOutcome.appointment_id == Appointment.id)
        .where(
            Appointment.order_id == order.id,
            Appointment.franchisee_id == order.franchisee_id,
            Appointment.kind == "inspection",
        )
        .order_by(Appointment.id)
    )
    return [v for a in visits if (v := view(a)) is not None]
