"""Who enters a journey, and when: each trigger's candidates for a Shanghai day, and the
enrolment that happens exactly once per (journey, customer, occurrence).

A candidate is ``(customer id, occurrence, started_on)``. The occurrence names the
event, so the same event seen twice (the nightly job and the pay-notify hook, or a job run
again) is one enrolment, and a new event is a new one:

- ``first_purchase``: the customer's first paid order (``first``);
- ``birthday`` / ``customer_date``: the year of the date's anniversary (``2026``);
- ``purchase_anniversary``: the year of the first paid order's anniversary;
- ``maintenance_due``: a piece the customer owns, k care intervals after its sale or its
  last service of the product's care kind (``p<piece>d<YYYYMMDD>``; a service restarts
  the clock, so the next occurrence is a new day);
- ``dormant``: no order, visit (appointment) or sign-up in N days, keyed by the day of the
  last activity (``d2026-10-01``), so a customer who comes back and goes quiet again is
  a new occurrence;
- ``tagged``: the customer carries the journey's tag (``tagged``: once per journey);
  ``on_tagged`` enrols at once when a guide or a rule adds the tag, the nightly run
  catches up.

Date triggers look back ``LOOKBACK_DAYS`` days, so a night the job did not run is caught up
the next night (the unique key keeps it once). A journey with a tag takes only customers
carrying it (``tag_links.customers_with_tag``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import func, select

from app.clock import shanghai_day
from app.db import committing, is_postgres
from app.extensions import db
from community.models.journeys import (
    ANNIVERSARY,
    BIRTHDAY,
    CUSTOMER_DATE,
    DORMANT,
    FIRST_PURCHASE,
    MAINTENANCE,
    TAGGED,
    CustomerDate,
    Journey,
    JourneyEnrolment,
    JourneySend,
)
from community.models.wecom_customers import CustomerTagLink
from community.services.tag_links import customers_with_tag, customers_with_tag_stmt
from franchise.models import PAID_STATUSES, Appointment, Customer, Order
from franchise.services import piece_care

log = logging.getLogger("siyu.community")

LOOKBACK_DAYS = 3
Candidate = tuple[int, str, date]


def anniversary_in(origin: date, first: date, last: date, *, after_origin: bool) -> date | None:
    """The anniversary of ``origin`` falling in ``[first, last]`` (29 February → 28th in
    other years); with ``after_origin`` the origin day itself does not count."""
    for year in {first.year, last.year}:
        try:
            day = origin.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if first <= day <= last and (not after_origin or day > origin):
            return day
    return None


def _first_paid_days(customer_ids: set[int] | None = None) -> dict[int, date]:
    stmt = select(Order.customer_id, func.min(Order.paid_at)).where(
        Order.status.in_(PAID_STATUSES), Order.paid_at.is_not(None)
    )
    if customer_ids is not None:
        stmt = stmt.where(Order.customer_id.in_(customer_ids))
    rows = db.session.execute(stmt.group_by(Order.customer_id)).all()
    return {cid: shanghai_day(paid) for cid, paid in rows if paid is not None}


def _dated(rows: Iterable, first: date, last: date, *, after_origin: bool) -> list[Candidate]:
    out = []
    for customer_id, origin in rows:
        hit = anniversary_in(origin, first, last, after_origin=after_origin)
        if hit is not None:
            out.append((customer_id, str(hit.year), hit))
    return out


def _maintenance(first: date, last: date) -> list[Candidate]:
    """Each owned piece falling due for care (``franchise.services.piece_care``): k care
    intervals after its sale or its last service of the product's care kind."""
    return [
        (care.customer_id, f"p{care.piece_id}d{day:%Y%m%d}", day)
        for care, day in piece_care.due_between(first, last)
    ]


def _dormant(days: int, first: date, last: date) -> list[Candidate]:
    visits = dict(
        db.session.execute(
            select(Appointment.customer_id, func.max(Appointment.slot_start))
            .where(Appointment.status != "cancelled")
            .group_by(Appointment.customer_id)
        ).all()
    )
    out = []
    rows = db.session.execute(select(Customer.id, Customer.created_at, Customer.last_order_at))
    for customer_id, created_at, last_order_at in rows:
        moments = [m for m in (created_at, last_order_at, visits.get(customer_id)) if m]
        active = max(shanghai_day(m) for m in moments)
        quiet_from = active + timedelta(days=days)
        if first <= quiet_from <= last:
            out.append((customer_id, f"d{active.isoformat()}", quiet_from))
    return out


def candidates(journey: Journey, day: date, only: set[int] | None = None) -> list[Candidate]:
    """The customers ``journey``'s trigger starts on ``day`` (looking back a few days);
    purchase triggers read only the ``only`` customers' orders when given."""
    first = day - timedelta(days=LOOKBACK_DAYS)
    trigger = journey.trigger
    if trigger == FIRST_PURCHASE:
        found = [(c, "first", d) for c, d in _first_paid_days(only).items() if first <= d <= day]
    elif trigger == ANNIVERSARY:
        found = _dated(_first_paid_days(only).items(), first, day, after_origin=True)
    elif trigger == BIRTHDAY:
        rows = db.session.execute(
            select(Customer.id, Customer.birthday).where(Customer.birthday.is_not(None))
        )
        found = _dated(rows, first, day, after_origin=False)
    elif trigger == CUSTOMER_DATE:
        rows = db.session.execute(
            select(CustomerDate.customer_id, CustomerDate.day).where(
                CustomerDate.kind == journey.date_kind
            )
        )
        found = _dated(rows, first, day, after_origin=True)
    elif trigger == MAINTENANCE:
        found = _maintenance(first, day)
    elif trigger == DORMANT:
        found = _dormant(int(journey.dormant_days or 90), first, day)
    elif trigger == TAGGED and journey.tag_id is not None:
        stmt = customers_with_tag_stmt(journey.tag_id).where(
            CustomerTagLink.customer_id.is_not(None)
        )
        if only is not None:  # one tagging: read only those customers' links
            stmt = stmt.where(CustomerTagLink.customer_id.in_(only))
        found = [(c, "tagged", day) for c in db.session.scalars(stmt)]
    else:
        found = []
    if journey.tag_id is not None and trigger != TAGGED:  # (a tagged journey's are)
        tagged = set(customers_with_tag(journey.tag_id))
        found = [c for c in found if c[0] in tagged]
    return found


def _insert_enrolment(values: dict) -> int | None:
    """Insert one enrolment unless its (journey, customer, occurrence) exists; its id."""
    if is_postgres(db.engine):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    table = JourneyEnrolment.__table__
    stmt = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["journey_id", "customer_id", "occurrence"])
        .returning(table.c.id)
    )
    return db.session.execute(stmt).scalar()


def enrol(journey: Journey, found: Iterable[Candidate]) -> int:
    """Enrol each candidate once and write its step sends (due days from the waits);
    the caller commits. Returns how many enrolments are new."""
    new = 0
    owners = {}
    ids = sorted({c[0] for c in found})
    for row in db.session.execute(
        select(Customer.id, Customer.franchisee_id, Customer.store_id, Customer.guide_id).where(
            Customer.id.in_(ids)
        )
    ):
        owners[row[0]] = {"franchisee_id": row[1], "store_id": row[2], "guide_id": row[3]}
    for customer_id, occurrence, started_on in found:
        owner = owners.get(customer_id)
        if owner is None:
            continue
        enrolment_id = _insert_enrolment(
            {
                "journey_id": journey.id,
                "customer_id": customer_id,
                "occurrence": occurrence,
                "started_on": started_on,
                **owner,
            }
        )
        if enrolment_id is None:
            continue
        new += 1
        due = started_on
        for step in journey.steps:
            due = due + timedelta(days=step.wait_days)
            db.session.add(
                JourneySend(
                    enrolment_id=enrolment_id,
                    journey_id=journey.id,
                    step_id=step.id,
                    customer_id=customer_id,
                    due_on=due,
                    deadline=due + timedelta(days=step.window_days),
                    **owner,
                )
            )
    return new


def run(
    day: date | None = None,
    customer_ids: set[int] | None = None,
    triggers: tuple[str, ...] | None = None,
) -> dict:
    """Enrol every active journey's candidates for ``day`` (only ``customer_ids`` and
    ``triggers`` when given: an event hook) in one commit; ``{"journeys", "enrolled"}``."""
    day = day or shanghai_day()
    enrolled = 0
    with committing(db.session):
        stmt = select(Journey).where(Journey.active.is_(True)).order_by(Journey.id)
        if triggers is not None:
            stmt = stmt.where(Journey.trigger.in_(triggers))
        journeys = db.session.scalars(stmt).all()
        for journey in journeys:
            if not journey.steps:
                continue
            found = candidates(journey, day, customer_ids)
            if customer_ids is not None:
                found = [c for c in found if c[0] in customer_ids]
            enrolled += enrol(journey, found)
    return {"journeys": len(journeys), "enrolled": enrolled}


def on_paid(rows) -> None:
    """``ORDER_PAID`` listener: the buyers enter the first-purchase journeys (the nightly
    run catches up whatever fails here: same unique key)."""
    run(customer_ids={row.customer_id for row in rows}, triggers=(FIRST_PURCHASE,))


def on_tagged(customer_id: int) -> None:
    """After a tag was added to the customer (committed): they enter the journeys that
    start on a tag they now carry. A failure here is logged, never the tagger's error
    (the nightly run enrols them: same unique key)."""
    try:
        run(customer_ids={customer_id}, triggers=(TAGGED,))
    except Exception:  # noqa: BLE001 - the tag is saved; the nightly run catches up
        log.exception("journeys: enrolment on a tag of customer %s failed", customer_id)
