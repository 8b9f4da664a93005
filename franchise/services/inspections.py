"""What an O2O inspection came to, as the pages show it (issue 19).

One shape for the guide's result page (``/m/appointments/<id>/result``) and the order
page (``/admin/orders/<id>``): the result (accepted / defect), the remedy (exchange /
refund), the note, who recorded it (a name) and when, and the order it leads to: the
replacement order of an exchange, or the refund (a guide's defect-with-refund has none
until the owner or HQ issues it with the order page's refund form; the newest refund of
the order recorded after the outcome is then shown).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from franchise.models import Appointment, AppointmentOutcome, Order, Refund
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


def _refund_of(row: AppointmentOutcome, order_id: int | None) -> Refund | None:
    if row.refund_id:
        return db.session.get(Refund, row.refund_id)
    if row.remedy != "refund" or order_id is None:
        return None
    return db.session.scalars(
        select(Refund)
        .where(Refund.order_id == order_id, Refund.created_at >= row.recorded_at)
        .order_by(Refund.id.desc())
        .limit(1)
    ).first()


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
        refund=_refund_of(row, appointment.order_id),
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
