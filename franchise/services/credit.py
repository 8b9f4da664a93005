"""Per-line credit of paid orders: computed once from the evidence as it stood at the
payment, read in scope.

``compute_credit`` inserts the order's ``OrderCredit`` with ``ON CONFLICT (order_id) DO
NOTHING`` (the exactly-once gate), reads the evidence as it stood at the payment
(``credit_evidence.gather``), splits each line by HQ's rules
(``credit_rules.split_line``), writes a ``CreditLine`` per share with the line's paid fen
apportioned to it (the order's discount spread over its lines by largest remainder, then
each line over its shares, so the shares' fen sum to what was paid), accrues commission,
and commits.

It runs off the payment's hot path: the notify posts a payment in one statement and
crediting takes about twenty, so ``on_paid``, an ``ORDER_PAID`` listener
(``franchise.jobs.paid_followups``, every minute), credits the orders paid since (by any
path: notify, orderquery, the demo); the nightly ``credit_missing`` catches up what a
failed run missed, and the first read of an order's credit (``ensure_credited``: the API,
the order page, a dispute) does it at once when neither has yet. The result is the same
either way: the evidence is read as of ``paid_at``.

Who may read (and so dispute) an order's credit: HQ; the order's franchise owner; a guide
whose order it is, of whose store it is, or who holds a share of it. Anyone else: 404.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import FRANCHISE_OWNER, GUIDE
from app.auth.principal import Principal
from app.auth.scope import not_found
from app.clock import utcnow
from app.db import insert_ignoring, lock_row
from app.extensions import db
from app.money import apportion
from app.schemas import url_id
from franchise.models import CreditLine, Guide, Order, OrderCredit
from franchise.services import commission
from franchise.services.credit_evidence import Claim, gather
from franchise.services.credit_rules import current_rules, split_line

log = logging.getLogger("siyu.franchise.credit")
SWEEP_BATCH = 200
SWEEP_DAYS = 7  # an order is paid within minutes of its creation or closed unpaid


def _claim_evidence(claims: dict[str, Claim], sources: tuple[str, ...]) -> list[dict]:
    return [e | {"source": s} for s in sources if s in claims for e in claims[s].evidence]


def _rows_for(order: Order, claims: dict[str, Claim], guides: dict[int, Guide]) -> list[CreditLine]:
    rules = current_rules()
    paid = apportion(order.paid_fen, {line.id: line.line_total_fen for line in order.lines})
    rows = []
    for line in order.lines:
        present = {s: c.guide_id for s, c in claims.items() if c.covers(line.product_id)}
        shares = split_line(rules, present)
        fen = apportion(paid.get(line.id, 0), {i: s.share_bps for i, s in enumerate(shares)})
        for i, share in enumerate(shares):
            guide = guides.get(share.guide_id) if share.guide_id is not None else None
            evidence = _claim_evidence(claims, share.sources) or [
                {"kind": "order_store", "source": "store", "ref": order.store_id, "at": None}
            ]
            rows.append(
                CreditLine(
                    order_id=order.id,
                    order_line_id=line.id,
                    order_franchisee_id=order.franchisee_id,
                    guide_id=share.guide_id,
                    store_id=guide.store_id if guide else order.store_id,
                    franchisee_id=guide.franchisee_id if guide else order.franchisee_id,
                    share_bps=share.share_bps,
                    basis_fen=fen[i],
                    sources=",".join(share.sources),
                    evidence=evidence,
                )
            )
    return rows


def compute_credit(order_id: int) -> bool:
    """Credit a paid order's lines, once (commits); False when it was done already or
    the order is not paid."""
    try:
        # under the order's row lock, as a refund completes: the refunded amount read
        # here for the reversals cannot change before this commits
        if not lock_row(db.session, Order, order_id):
            db.session.rollback()
            return False
        order = db.session.get(Order, order_id, populate_existing=True)
        if order is None or order.transaction_id is None or order.paid_at is None:
            db.session.rollback()
            return False
        gate = insert_ignoring(db.engine, OrderCredit, "order_id").returning(OrderCredit.id)
        row = {"order_id": order.id, "franchisee_id": order.franchisee_id}
        inserted = db.session.execute(
            gate, [row | {"paid_at": order.paid_at, "computed_at": utcnow()}]
        ).scalar()
        if inserted is None:
            db.session.rollback()
            return False
        claims = gather(order, order.paid_at)
        ids = {c.guide_id for c in claims.values()}
        guides = {g.id: g for g in db.session.scalars(select(Guide).where(Guide.id.in_(ids)))}
        claims = {s: c for s, c in claims.items() if c.guide_id in guides}
        rows = _rows_for(order, claims, guides)
        db.session.add_all(rows)
        db.session.flush()
        commission.accrue(rows)
        commission.sync_reversals(order, "paid")  # a refund that completed before the credit
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


def ensure_credited(order: Order) -> None:
    """Credit ``order`` now if it is paid and ``on_paid`` has not credited it yet."""
    if order.transaction_id is None:
        return
    gate = select(OrderCredit.id).where(OrderCredit.order_id == order.id)
    if db.session.scalar(gate) is None:
        compute_credit(order.id)


def _credit_each(order_ids) -> int:
    """``compute_credit`` each order (one bad order stops no other); how many credited."""
    done = 0
    for order_id in order_ids:
        try:
            done += compute_credit(order_id)
        except Exception:  # noqa: BLE001 - one bad order must not stop the others
            log.exception("credit for order %s failed", order_id)
    return done


def on_paid(rows) -> None:
    """``ORDER_PAID`` listener: credit the orders whose payment was just posted (each
    commits on its own; ``OrderCredit``'s unique order keeps a repeat a no-op)."""
    _credit_each(row.order_id for row in rows)


def credit_missing(limit: int = SWEEP_BATCH, days: int | None = SWEEP_DAYS) -> int:
    """Credit paid orders that have none yet (oldest first; those created in the last
    ``days`` days, on the ``created_at`` index, or all when None); how many. The nightly
    catch-up behind ``on_paid`` (a listener that failed, a lost mark), and the demo."""
    stmt = (
        select(Order.id)
        .outerjoin(OrderCredit, OrderCredit.order_id == Order.id)
        .where(Order.transaction_id.is_not(None), OrderCredit.id.is_(None))
        .order_by(Order.id)
        .limit(limit)
    )
    if days is not None:
        stmt = stmt.where(Order.created_at >= utcnow() - timedelta(days=days))
    ids = db.session.scalars(stmt).all()
    db.session.rollback()
    return _credit_each(ids)


# --- reading ----------------------------------------------------------------------


def visible_order(order_id: int, principal: Principal) -> Order:
    """The order if ``principal`` may see its credit (see the module docstring), else 404."""
    order = db.session.get(Order, url_id(order_id))
    if order is None:
        raise not_found(Order)
    if principal.is_hq:
        return order
    if principal.role == FRANCHISE_OWNER and order.franchisee_id == principal.franchisee_id:
        return order
    if principal.role == GUIDE and principal.guide_id is not None:
        if order.guide_id == principal.guide_id or (
            order.store_id is not None and order.store_id == principal.store_id
        ):
            return order
        held = db.session.scalar(
            select(CreditLine.id)
            .where(CreditLine.order_id == order.id, CreditLine.guide_id == principal.guide_id)
            .limit(1)
        )
        if held is not None:
            return order
    raise not_found(Order)


def current_lines(order_id: int) -> list[CreditLine]:
    """The order's current credit rows, by line then share."""
    return list(
        db.session.scalars(
            select(CreditLine)
            .where(CreditLine.order_id == order_id, CreditLine.is_current.is_(True))
            .order_by(CreditLine.order_line_id, CreditLine.id)
        )
    )


def order_credit(order_id: int, principal: Principal) -> dict:
    """The CONTRACT answer of ``GET /api/v1/orders/{id}/credit``."""
    order = visible_order(order_id, principal)
    ensure_credited(order)
    return {"order_id": order.id, "lines": current_lines(order.id)}
