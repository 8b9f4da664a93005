"""Appeals against a line's credit: a guide or owner files, HQ rules, the credit moves.

- ``file_dispute``: the order must be one whose credit the filer may see (else 404, as
  for another franchise's line), credited, inside ``credit.dispute_days`` of its payment
  and the line never ruled on (else 422 naming ``order_line_id``); one open dispute per
  line (409). The dispute gets ``decide_by`` = now + ``credit.ruling_days``, shown to
  both sides. Filing runs under the order's row lock, so two filings cannot both pass.
- ``rule``: HQ upholds (naming the guide the line's credit goes to) or rejects, with a
  ruling text. Upheld: the line's current shares are superseded, one share of 10,000
  bps for the awarded guide takes their fen, and the commission moves with it
  (``commission.move_out``, ``accrue``, ``sync_reversals``). Every step is a
  ``DisputeEvent``: filed, upheld or rejected, and the credit moved (from whom to
  whom). A dispute already ruled answers 409.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select, update

from app.auth.models import FRANCHISE_OWNER, GUIDE
from app.auth.principal import Principal
from app.auth.scope import get_scoped_or_404, not_found, scoped
from app.clock import as_utc, utcnow
from app.db import committing, lock_row
from app.errors import Conflict, Forbidden
from app.extensions import db
from app.i18n import tr
from franchise.models import (
    DISPUTE_OPEN,
    DISPUTE_UPHELD,
    FULL_BPS,
    SOURCE_RULING,
    CreditDispute,
    CreditLine,
    DisputeEvent,
    Guide,
    Order,
    OrderCredit,
    OrderLine,
)
from franchise.services import commission, settings
from franchise.services.base import invalid
from franchise.services.credit import current_lines, ensure_credited, visible_order


def _event(dispute: CreditDispute, action: str, principal: Principal, note: str = "") -> None:
    dispute.events.append(
        DisputeEvent(
            action=action, actor_user_id=principal.user_id, actor_role=principal.role, note=note
        )
    )


def file_dispute(order_id: int, order_line_id: int, reason: str, principal: Principal):
    """A guide or owner disputes one line's credit (commits); see the module docstring."""
    with committing(db.session):
        if principal.role not in (GUIDE, FRANCHISE_OWNER):
            raise Forbidden("Only the guide or the franchise owner may dispute credit.")
        order = visible_order(order_id, principal)
        ensure_credited(order)
        lock_row(db.session, Order, order.id)
        line = db.session.get(OrderLine, order_line_id)
        if line is None or line.order_id != order.id:
            raise not_found(OrderLine)
        credited = db.session.scalars(
            select(OrderCredit).where(OrderCredit.order_id == order.id)
        ).first()
        if credited is None:
            raise invalid("order_line_id", "This line has no credit yet.")
        now = utcnow()
        closes = as_utc(credited.paid_at) + timedelta(
            days=int(settings.get_setting("credit.dispute_days"))
        )
        if now > closes:
            raise invalid("order_line_id", "The dispute window has closed.")
        earlier = db.session.scalars(
            select(CreditDispute.status).where(CreditDispute.order_line_id == line.id)
        ).all()
        if any(status != DISPUTE_OPEN for status in earlier):
            raise invalid("order_line_id", "This line's credit was already ruled on.")
        if earlier:
            raise Conflict(
                tr("This line's credit is already disputed."),
                errors={"order_line_id": [tr("Already disputed.")]},
            )
        dispute = CreditDispute(
            order_id=order.id,
            order_line_id=line.id,
            order_franchisee_id=order.franchisee_id,
            filed_by_user_id=principal.user_id,
            filed_role=principal.role,
            filed_guide_id=principal.guide_id if principal.role == GUIDE else None,
            reason=reason.strip(),
            decide_by=now + timedelta(days=int(settings.get_setting("credit.ruling_days"))),
        )
        _event(dispute, "filed", principal, dispute.reason)
        db.session.add(dispute)
    return dispute


def dispute_or_404(dispute_id: int, principal: Principal) -> CreditDispute:
    """A dispute the caller may see, else 404 (``get_scoped_or_404``)."""
    return get_scoped_or_404(CreditDispute, dispute_id, principal)


def _share_text(cl: CreditLine) -> str:
    """ "Ann 90 %": who held a share (a guide's name, else the store's) and how much."""
    holder = cl.guide.name if cl.guide else (cl.store.name if cl.store else "—")
    return f"{holder} {cl.share_bps / 100:g} %"


def _move_credit(dispute: CreditDispute, guide: Guide) -> str:
    """Supersede the line's current shares with one for ``guide``; commission follows;
    the move as the history shows it ("Ann 90 %, Carl 10 % → Carl 100 %"). Under the
    order's row lock (as a refund completes), so a refund's reversal cannot land on a
    share this ruling is moving out."""
    lock_row(db.session, Order, dispute.order_id)
    old = [
        cl for cl in current_lines(dispute.order_id) if cl.order_line_id == dispute.order_line_id
    ]
    db.session.execute(
        update(CreditLine)
        .where(CreditLine.id.in_([cl.id for cl in old]))
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )
    commission.move_out(old, dispute.id)
    now = utcnow()
    new = CreditLine(
        order_id=dispute.order_id,
        order_line_id=dispute.order_line_id,
        order_franchisee_id=dispute.order_franchisee_id,
        guide_id=guide.id,
        store_id=guide.store_id,
        franchisee_id=guide.franchisee_id,
        share_bps=FULL_BPS,
        basis_fen=sum(cl.basis_fen for cl in old),
        sources=SOURCE_RULING,
        evidence=[
            {"kind": "ruling", "source": SOURCE_RULING, "ref": dispute.id, "at": now.isoformat()}
        ],
        dispute_id=dispute.id,
    )
    db.session.add(new)
    db.session.flush()
    commission.accrue([new], when=now)
    order = db.session.get(Order, dispute.order_id)
    assert order is not None  # the dispute's order (foreign key)
    commission.sync_reversals(order, f"ruling{dispute.id}")
    return ", ".join(_share_text(cl) for cl in old) + f" → {guide.name} 100 %"


def rule(dispute_id: int, decision: str, ruling: str, guide_id: int | None, principal: Principal):
    """HQ's ruling on an open dispute (commits); see the module docstring."""
    with committing(db.session):
        if not principal.is_hq:
            raise Forbidden("Only HQ rules on credit disputes.")
        dispute = dispute_or_404(dispute_id, principal)
        lock_row(db.session, CreditDispute, dispute.id)
        db.session.refresh(dispute)
        if dispute.status != DISPUTE_OPEN:
            raise Conflict(tr("This dispute was already ruled on."), code="already_ruled")
        guide, moved = None, ""
        if decision == DISPUTE_UPHELD:
            guide = db.session.get(Guide, guide_id) if guide_id else None
            if guide is None:
                raise invalid("guide_id", "Name the guide the credit goes to.")
            moved = _move_credit(dispute, guide)
        dispute.status = decision
        dispute.ruling = ruling.strip()
        dispute.awarded_guide_id = guide.id if guide else None
        dispute.ruled_by_user_id = principal.user_id
        dispute.ruled_at = utcnow()
        _event(dispute, decision, principal, dispute.ruling)
        if moved:
            _event(dispute, "moved", principal, moved)
    return dispute


def dispute_stmt(args: dict, principal: Principal | None = None):
    """Disputes in the caller's scope, filtered (status, franchisee, overdue), newest first."""
    stmt = scoped(select(CreditDispute), CreditDispute, principal)
    if args.get("status"):
        stmt = stmt.where(CreditDispute.status == args["status"])
    if args.get("franchisee_id"):
        stmt = stmt.where(CreditDispute.order_franchisee_id == args["franchisee_id"])
    if args.get("order_id"):
        stmt = stmt.where(CreditDispute.order_id == args["order_id"])
    if args.get("overdue"):
        stmt = stmt.where(_overdue())
    return stmt.order_by(CreditDispute.id.desc())


def _overdue(now=None):
    """Open and past the ruling deadline (at ``now``, a moment or a bound parameter)."""
    deadline_passed = CreditDispute.decide_by < (utcnow() if now is None else now)
    return (CreditDispute.status == DISPUTE_OPEN) & deadline_passed


def waiting_figures(principal: Principal):
    """Disputes in the caller's scope awaiting a ruling, and of them those past the
    deadline (at the parameter ``now``): the filters of ``dispute_stmt`` (status open;
    overdue), in one row."""
    return scoped(
        select(
            func.count().filter(CreditDispute.status == DISPUTE_OPEN),
            func.count().filter(_overdue(bindparam("now"))),
        ).select_from(CreditDispute),
        CreditDispute,
        principal,
    )
