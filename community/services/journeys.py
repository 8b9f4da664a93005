"""Customer journeys as HQ defines them: save (steps replaced in order), read, list,
the per-journey report ("did it work"), and the dates customers give their guides.

The report counts the journey's sends by outcome (sent = created in WeCom, confirmed =
the guide sent it and WeCom delivered it), the reasons of the skipped and missed ones,
and the orders each delivered step brought — by ``post_outcome``'s one rule (paid through
the sending guide's share code by the customer within the journey's ``outcome_days``
days of the send; the order that started a journey came before it and never counts), the
same figures the per-step report (``post_report``) shows — per step, and overall with an
order two steps brought counted once.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import func, select

from app.auth.scope import get_scoped_or_404, not_found, scoped
from app.db import committing
from app.errors import DomainError
from app.extensions import db
from community.models.content import ContentPost
from community.models.journeys import (
    S_MISSED,
    S_PENDING,
    S_QUEUED,
    S_SENT,
    S_SKIPPED,
    CustomerDate,
    Journey,
    JourneyEnrolment,
    JourneySend,
    JourneyStep,
)
from community.models.wecom_customers import CustomerTag
from community.services.post_outcome import Outcome, attribute, journey_touches
from franchise.models import Customer


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(message, status=422, code="invalid_journey", errors={field: [message]})


def get_journey(journey_id: int) -> Journey:
    journey = db.session.get(Journey, journey_id)
    if journey is None:
        raise not_found(Journey)
    return journey


def save_journey(data: dict, journey: Journey | None = None) -> Journey:
    """Create or update a journey from a loaded ``JourneySchema`` body (422 naming an
    unknown post or tag); steps are replaced, sends already written keep theirs."""
    posts = {s["post_id"] for s in data["steps"]}
    known = set(db.session.scalars(select(ContentPost.id).where(ContentPost.id.in_(posts))))
    if posts - known:
        raise _invalid("steps", "Unknown content post.")
    if data.get("tag_id") is not None and db.session.get(CustomerTag, data["tag_id"]) is None:
        raise _invalid("tag_id", "Unknown tag.")
    with committing(db.session):
        journey = journey or Journey()
        for key in ("name", "trigger", "dormant_days", "date_kind", "days_before", "tag_id",
                    "outcome_days"):  # fmt: skip
            setattr(journey, key, data.get(key))
        journey.active = data.get("active", True)
        db.session.add(journey)
        db.session.flush()
        keep = {s.position: s for s in journey.steps}
        for position, step in enumerate(data["steps"], start=1):
            row = keep.pop(position, None) or JourneyStep(journey_id=journey.id, position=position)
            row.wait_days, row.window_days = step["wait_days"], step["window_days"]
            row.post_id = step["post_id"]
            if row.id is None:
                journey.steps.append(row)
        for row in keep.values():
            used = db.session.scalar(select(JourneySend.id).where(JourneySend.step_id == row.id))
            if used is None:
                journey.steps.remove(row)
    return journey


def list_stmt(args: dict | None = None):
    stmt = select(Journey).order_by(Journey.id.desc())
    q = (args or {}).get("q")
    if q:
        stmt = stmt.where(Journey.name.contains(q))
    return stmt


def _step_outcomes(journey: Journey) -> dict[int, Outcome]:
    """Per step id: the orders its delivered sends brought — the one rule of
    ``post_outcome`` (through the sending guide's share code, by the customer, in the
    franchise, from the send to the end of the journey's ``outcome_days``-th day after)."""
    sends = journey_touches(JourneySend.journey_id == journey.id)
    outcomes = attribute([t for _, t in sends], journey.outcome_days)
    per_step: dict[int, Outcome] = defaultdict(Outcome)
    for (_, _, _, _, step_id), touch in sends:
        found = outcomes[touch.key]
        per_step[step_id].orders.update(found.orders)
        per_step[step_id].customers |= found.customers
    return per_step


def report(journey: Journey) -> dict:
    """Enrolled, sent, confirmed, missed with reasons, orders within N days (scoped)."""
    enrolled = db.session.scalar(
        scoped(select(func.count(JourneyEnrolment.id)), JourneyEnrolment).where(
            JourneyEnrolment.journey_id == journey.id
        )
    )
    rows = db.session.execute(
        scoped(
            select(JourneySend.step_id, JourneySend.status, JourneySend.reason, func.count()),
            JourneySend,
        )
        .where(JourneySend.journey_id == journey.id)
        .group_by(JourneySend.step_id, JourneySend.status, JourneySend.reason)
    ).all()
    outcome = _step_outcomes(journey)
    per_step: dict[int, Counter] = defaultdict(Counter)
    reasons: Counter = Counter()
    for step_id, status, reason, n in rows:
        per_step[step_id][status] += n
        if reason and status in (S_SKIPPED, S_MISSED):
            reasons[reason] += n
    total: Counter = sum(per_step.values(), Counter())
    steps = []
    for step in journey.steps:
        c = per_step[step.id]
        found = outcome.get(step.id, Outcome())
        steps.append(_figures(c) | {"id": step.id, "position": step.position,
                                    "title": step.post.title, "wait_days": step.wait_days,
                                    "orders": len(found.orders),
                                    "order_fen": found.paid_fen})  # fmt: skip
    everything: dict[int, int] = {}
    for found in outcome.values():  # an order two steps brought counts once in the total
        everything.update(found.orders)
    return _figures(total) | {
        "id": journey.id,
        "name": journey.name,
        "enrolled": enrolled or 0,
        "reasons": dict(reasons),
        "orders": len(everything),
        "order_fen": sum(everything.values()),
        "outcome_days": journey.outcome_days,
        "steps": steps,
    }


def _figures(c: Counter) -> dict:
    """``sent`` counts every send WeCom has (pending + confirmed); ``confirmed`` the ones
    the guide sent and WeCom delivered."""
    return {
        "queued": c[S_QUEUED],
        "sent": c[S_PENDING] + c[S_SENT],
        "pending": c[S_PENDING],
        "confirmed": c[S_SENT],
        "skipped": c[S_SKIPPED],
        "missed": c[S_MISSED],
    }


def save_customer_date(data: dict) -> CustomerDate:
    """Keep a date the customer gave (one per kind; a second replaces the first). The
    customer must be in the caller's scope (404 otherwise)."""
    customer = get_scoped_or_404(Customer, data["customer_id"])
    with committing(db.session):
        row = db.session.scalars(
            select(CustomerDate).where(
                CustomerDate.customer_id == customer.id, CustomerDate.kind == data["kind"]
            )
        ).first() or CustomerDate(customer_id=customer.id, kind=data["kind"])
        row.day = data["day"]
        row.franchisee_id, row.store_id = customer.franchisee_id, customer.store_id
        row.guide_id = customer.guide_id
        db.session.add(row)
    return row
