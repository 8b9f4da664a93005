"""When each piece a customer owns is next due for care (issue 19, 保养提醒).

HQ gives a product a care interval in days (``care_interval_days``) and the kind of
care it needs (``care_kind``: a service-ticket kind; cleaning when unset), on the
product's page. A piece sold of it (held by a paid order that is not refunded) starts
its care clock on the Shanghai day the order was paid; closing a service ticket of that
kind on that piece (the ticket picked up) restarts the clock on the day it closed. The
piece's next care date is the clock's start plus the interval; left unserved it falls
due again every interval after (``occurrences``).

Every reader goes through ``care_rows``: the maintenance journey trigger and the care
tasks (community), the guide's customer page and Today, and ``GET /api/v1/mp/pieces``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask import g
from sqlalchemy import Select, and_, case, func, select

from app.clock import shanghai_day
from app.db import minus_days
from app.extensions import db
from franchise.models import (
    PIECE_HELD,
    REFUNDED,
    SERVICE_KINDS,
    Order,
    Piece,
    Product,
    ServiceTicket,
    ServiceTicketEvent,
)

DEFAULT_KIND = "cleaning"
CLOSED_STATE = "picked_up"
SOON_DAYS = 14  # the guide's list shows what falls due within two weeks
assert DEFAULT_KIND in SERVICE_KINDS


@dataclass(frozen=True)
class PieceCare:
    """One owned piece's care clock."""

    piece_id: int
    customer_id: int
    serial: str
    product_name: str
    kind: str
    interval_days: int
    since: date  # the sale's day, or the day the last service of ``kind`` closed
    serviced: bool  # ``since`` is a closed service, not the sale

    @property
    def next_on(self) -> date:
        return self.since + timedelta(days=self.interval_days)

    def is_due(self, day: date) -> bool:
        return self.next_on <= day

    def occurrences(self, first: date, last: date) -> list[date]:
        """The days in ``[first, last]`` it falls due: ``since`` + k intervals, k ≥ 1."""
        k = max(1, (first - self.since).days // self.interval_days)
        out = []
        while (due := self.since + timedelta(days=k * self.interval_days)) <= last:
            if due >= first:
                out.append(due)
            k += 1
        return out


def _last_service():
    """The moment each (piece, kind) last had a service ticket closed."""
    return (
        select(
            ServiceTicket.piece_id,
            ServiceTicket.kind,
            func.max(ServiceTicketEvent.created_at).label("closed_at"),
        )
        .join(ServiceTicketEvent, ServiceTicketEvent.ticket_id == ServiceTicket.id)
        .where(ServiceTicketEvent.to_status == CLOSED_STATE, ServiceTicket.piece_id.is_not(None))
        .group_by(ServiceTicket.piece_id, ServiceTicket.kind)
        .subquery()
    )


def _owned_with_care(*columns, kind, served) -> Select:
    """``columns`` of the pieces owned whose product has a care interval (held by a paid
    order that is not refunded), with each piece's last service of its care kind."""
    return (
        select(*columns)
        .select_from(Piece)
        .join(Product, Product.id == Piece.product_id)
        .join(Order, Order.id == Piece.order_id)
        .outerjoin(served, and_(served.c.piece_id == Piece.id, served.c.kind == kind))
        .where(
            Piece.status == PIECE_HELD,
            Order.paid_at.is_not(None),
            Order.status != REFUNDED,
            Product.care_interval_days > 0,
        )
    )


def due_count(customer_ids: Select, day_end) -> Select:
    """How many of the customers' pieces are due for care on the day ending at ``day_end``
    (a UTC moment, a bound parameter say), as one ``SELECT count``: the same clock
    as ``care_rows`` (``next_on <= day``), worked out in SQL for the guide's Today line.

    The Shanghai day of the clock's start plus the interval is on or before the day iff
    the start is earlier than ``day_end`` minus the interval (Shanghai keeps no summer
    time, so each day is 24 hours)."""
    served = _last_service()
    kind = func.coalesce(Product.care_kind, DEFAULT_KIND)
    since = case((served.c.closed_at > Order.paid_at, served.c.closed_at), else_=Order.paid_at)
    return _owned_with_care(func.count(), kind=kind, served=served).where(
        Piece.customer_id.in_(customer_ids),
        since < minus_days(day_end, Product.care_interval_days),
    )


def care_rows(
    customer_ids: Iterable[int] | Select | None = None, piece_ids: Iterable[int] | None = None
) -> list[PieceCare]:
    """The care clock of every owned piece whose product has a care interval (only the
    given customers' (ids, or a select of them) or pieces' when named), one query."""
    served = _last_service()
    kind = func.coalesce(Product.care_kind, DEFAULT_KIND)
    stmt = _owned_with_care(
        Piece.id,
        Piece.customer_id,
        Piece.serial,
        Product.name,
        kind,
        Product.care_interval_days,
        Order.paid_at,
        served.c.closed_at,
        kind=kind,
        served=served,
    ).order_by(Piece.id.desc())
    if customer_ids is not None:
        ids = customer_ids if isinstance(customer_ids, Select) else list(customer_ids)
        stmt = stmt.where(Piece.customer_id.in_(ids))
    if piece_ids is not None:
        stmt = stmt.where(Piece.id.in_(list(piece_ids)))
    out = []
    rows = db.session.execute(stmt).all()
    for piece_id, customer_id, serial, name, care_kind, days, paid_at, closed_at in rows:
        last = closed_at if closed_at is not None and closed_at > paid_at else None
        out.append(
            PieceCare(
                piece_id=piece_id,
                customer_id=customer_id,
                serial=serial,
                product_name=name,
                kind=care_kind,
                interval_days=int(days),
                since=shanghai_day(last or paid_at),
                serviced=last is not None,
            )
        )
    return out


def due_between(first: date, last: date) -> list[tuple[PieceCare, date]]:
    """Every (piece, day) falling due in ``[first, last]``."""
    return [(care, day) for care in care_rows() for day in care.occurrences(first, last)]


def by_piece(customer_id: int) -> dict[int, PieceCare]:
    """A customer's pieces' care, by piece id (read once per request)."""
    cache = g.setdefault("siyu_piece_care", {})
    if customer_id not in cache:
        cache[customer_id] = {c.piece_id: c for c in care_rows(customer_ids=[customer_id])}
    return cache[customer_id]


def of_piece(piece: Piece) -> PieceCare | None:
    """A piece's care clock (none for a piece not owned or without a care interval)."""
    if piece.customer_id is None:
        return None
    return by_piece(piece.customer_id).get(piece.id)
