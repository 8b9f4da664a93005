"""What an in-store appointment came to (issue 19), recorded once by its store.

* ``attended``, ``no_show``: the appointment's status becomes the outcome.
* ``rescheduled``: a new appointment is booked for the customer at ``slot_start``
  (``appointments.book``: the slot rules and capacity apply) and linked.
* A cleaning / maintenance visit that was attended opens a service ticket (received at
  the store, ``service_tickets.open_from_visit``) of ``service_kind`` (cleaning by
  default), linked from the outcome.
* An O2O inspection (``kind = inspection``, with its online order) that was attended
  records ``inspection_result``: ``accepted``, or ``defect`` with a ``remedy``:
  ``exchange`` (a replacement order for the same lines, paid by the original's
  payment, the defective piece set aside: ``replacements.replace``, linked as
  ``replacement_order_id``) or ``refund``, which goes through the existing refund
  path (``refunds.request_refund``: HQ or the franchise owner, the whole refundable
  amount unless ``refund_fen`` says less), written in the outcome's own transaction and
  linked (``inspections.settle``). A guide may record a defect with the refund remedy
  but not move money: the outcome is kept with no refund yet, and the owner (or HQ)
  issues it with the order page's refund form or the refunds API naming the inspection
  (``franchise.services.inspections`` shows it as awaiting the refund until then).

A second outcome for the same appointment is a 409; bad combinations are 422 naming the
field. Guides record outcomes of their store's appointments, owners of their franchise's.
"""

from __future__ import annotations

from app.auth.principal import Principal
from app.errors import Conflict, DomainError
from app.extensions import db
from app.row_state import move_status
from franchise.models import (
    APPOINTMENT_OUTCOMES,
    DEFECT_REMEDIES,
    INSPECTION_RESULTS,
    SERVICE_KINDS,
    Appointment,
    AppointmentOutcome,
    Customer,
    Order,
)
from franchise.services import appointments, refunds, replacements
from franchise.services.base import invalid, rollback_and_raise

BOOKED = appointments.BOOKED


def _check(appointment: Appointment, data: dict) -> None:
    outcome = data.get("outcome")
    if outcome not in APPOINTMENT_OUTCOMES:
        raise invalid("outcome", "Attended, no-show or rescheduled.")
    if outcome == "rescheduled" and data.get("slot_start") is None:
        raise invalid("slot_start", "A rescheduled visit needs its new slot.")
    inspecting = appointment.kind == "inspection" and outcome == "attended"
    result = data.get("inspection_result")
    if inspecting and result not in INSPECTION_RESULTS:
        raise invalid("inspection_result", "Accepted, or a defect.")
    if not inspecting and result is not None:
        raise invalid("inspection_result", "Only for an attended inspection.")
    if result == "defect" and data.get("remedy") not in DEFECT_REMEDIES:
        raise invalid("remedy", "Exchange or refund.")
    if result != "defect" and data.get("remedy") is not None:
        raise invalid("remedy", "Only for a defect.")
    if data.get("service_kind") is not None and data["service_kind"] not in SERVICE_KINDS:
        raise invalid("service_kind", "Cleaning, polishing, resizing, re-plating or repair.")


def _claim(appointment: Appointment, status: str) -> None:
    """booked → ``status`` by one conditional UPDATE: an outcome is recorded once."""
    if not move_status(appointment, BOOKED, status):
        raise Conflict("This appointment's outcome is already recorded.", code="outcome_recorded")
    db.session.expire(appointment, ["status"])


def record(appointment: Appointment, data: dict, principal: Principal) -> AppointmentOutcome:
    """Record what ``appointment`` (loaded through the caller's scope) came to; commits."""
    new_id = None
    try:
        _check(appointment, data)
        if appointment.status != BOOKED:
            raise Conflict(
                "This appointment's outcome is already recorded.", code="outcome_recorded"
            )
    except DomainError as exc:
        rollback_and_raise(exc)
    if data["outcome"] == "rescheduled":
        customer = db.session.get(Customer, appointment.customer_id)
        assert customer is not None
        moved = appointments.book(
            customer,
            {
                "store_id": appointment.store_id,
                "kind": appointment.kind,
                "slot_start": data["slot_start"],
                "order_id": appointment.order_id,
                "note": appointment.note,
            },
        )
        new_id = moved.id
    refund_order = None
    if data.get("remedy") == "refund":
        refund_order = db.session.get(Order, appointment.order_id or 0)
        if refund_order is None:
            rollback_and_raise(invalid("remedy", "The inspection has no order to refund."))
    try:
        _claim(appointment, data["outcome"])
        row = AppointmentOutcome(
            appointment_id=appointment.id,
            outcome=data["outcome"],
            inspection_result=data.get("inspection_result"),
            remedy=data.get("remedy"),
            rescheduled_to_id=new_id,
            note=(data.get("note") or "")[:255],
            recorded_by_user_id=principal.user_id,
        )
        db.session.add(row)
        if data.get("remedy") == "exchange":
            order = db.session.get(Order, appointment.order_id or 0)
            if order is None:
                raise invalid("remedy", "The inspection has no order to exchange.")
            row.replacement_order_id = replacements.replace(order, principal, row.note).id
        if appointment.kind == "maintenance" and data["outcome"] == "attended":
            from franchise.services.service_tickets import open_from_visit

            ticket = open_from_visit(appointment, data.get("service_kind") or "cleaning", principal)
            row.service_ticket_id = ticket.id
        if refund_order is not None and refunds.may_refund(principal):
            # the refund and the outcome commit together, the outcome naming the refund;
            # a guide's refund waits for the owner (awaiting the refund)
            db.session.flush()
            amount = data.get("refund_fen") or refunds.refundable_fen(refund_order)
            refunds.request_refund(
                refund_order,
                amount,
                "inspection: defect",
                principal,
                inspection_id=appointment.id,
            )
        else:
            db.session.commit()
    except DomainError as exc:
        rollback_and_raise(exc)
    return row


def outcome_of(appointment_id: int) -> AppointmentOutcome | None:
    return db.session.get(AppointmentOutcome, appointment_id)
