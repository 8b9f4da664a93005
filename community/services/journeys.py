"""Customer journeys as HQ defines them: save (steps replaced in order), read, list,
the per-journey report ("did it work"), and the dates customers give their guides.

The report counts the journey's sends by outcome (sent = created in WeCom, confirmed =
the guide sent it and WeCom delivered it), the reasons of the skipped and missed ones,
and the paid orders of its customers on the ``outcome_days`` days after a delivered step
(the send day itself excluded: the order that started a journey is not its outcome) —
overall and per step.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select

from app.auth.scope import get_scoped_or_404, not_found, scoped
from app.clock import shanghai_day
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
from franchise.models import Customer, Order
from franchise.services.value_tiers import PAID_STATUSES


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
    try:
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
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return journey


def list_stmt(args: dict | None = None):
    stmt = select(Journey).order_by(Journey.id.desc())
    q = (args or {}).get("q")
    if q:
        stmt = stmt.where(Journey.name.contains(q))
    return stmt


def _orders_after(sends: list[tuple[int, int, date]], days: int) -> dict[int, tuple[int, int]]:
    """Per step id: paid orders (count, fen) of the customers within ``days`` after a
    delivered send."""
    customers = {c for _, c, _ in sends}
    if not customers:
        return {}
    first = min(s for _, _, s in sends)
    orders = db.session.execute(
        select(Order.customer_id, Order.paid_at, Order.paid_fen).where(
            Order.customer_id.in_(customers),
            Order.status.in_(PAID_STATUSES),
            Order.paid_at.is_not(None),
        )
    ).all()
    by_customer = defaultdict(list)
    for customer_id, paid_at, fen in orders:
        day = shanghai_day(paid_at)
        if day >= first:
            by_customer[customer_id].append((day, fen))
    out: dict[int, tuple[int, int]] = {}
    for step_id, customer_id, sent_on in sends:
        hits = [f for d, f in by_customer[customer_id] if sent_on < d <= sent_on + timedelta(days)]
        count, fen = out.get(step_id, (0, 0))
        out[step_id] = (count + len(hits), fen + sum(hits))
    return out


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
    delivered = db.session.execute(
        scoped(
            select(JourneySend.step_id, JourneySend.customer_id, JourneySend.sent_on),
            JourneySend,
        ).where(JourneySend.journey_id == journey.id, JourneySend.status == S_SENT)
    ).all()
    outcome = _orders_after([(r[0], r[1], r[2]) for r in delivered], journey.outcome_days)
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
        orders, fen = outcome.get(step.id, (0, 0))
        steps.append(_figures(c) | {"id": step.id, "position": step.position,
                                    "title": step.post.title, "wait_days": step.wait_days,
                                    "orders": orders, "order_fen": fen})  # fmt: skip
    return _figures(total) | {
        "id": journey.id,
        "name": journey.name,
        "enrolled": enrolled or 0,
        "reasons": dict(reasons),
        "orders": sum(s["orders"] for s in steps),
        "order_fen": sum(s["order_fen"] for s in steps),
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
    try:
        row = db.session.scalars(
            select(CustomerDate).where(
                CustomerDate.customer_id == customer.id, CustomerDate.kind == data["kind"]
            )
        ).first() or CustomerDate(customer_id=customer.id, kind=data["kind"])
        row.day = data["day"]
        row.franchisee_id, row.store_id = customer.franchisee_id, customer.store_id
        row.guide_id = customer.guide_id
        db.session.add(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return row
