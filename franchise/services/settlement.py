"""T+0 settlement: a franchisee's available balance and daily statements, from the ledger.

Today (Asia/Shanghai) is computed live from the ledger, so a payment shows within the
notify's own transaction. A closed day is a ``SettlementStatement`` snapshot written by
the nightly job (00:10 for yesterday; re-running refreshes it, so a late notify of that
day is included by the next run — the reconciliation job runs it again at 10:30).
The statement's lines (each payment and refund) always come from the append-only
ledger. ``net`` = gross − fee − HQ share − refunds (fee and share returns included).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select

from app.clock import shanghai_day, shanghai_yesterday, utcnow
from app.db import commit_or_rollback, values_by_key
from app.extensions import db
from franchise.models import (
    Franchisee,
    LedgerTransaction,
    Order,
    Payment,
    Refund,
    SettlementStatement,
)
from franchise.services import ledger, points_book

TOTAL_KEYS = ("payments_count", "gross_fen", "fee_fen", "hq_share_fen", "refund_fen", "net_fen")


def live_totals(franchisee_id: int, day: date) -> dict:
    """The day's totals summed from the ledger's transactions."""
    rows = db.session.execute(
        select(
            LedgerTransaction.kind,
            func.count(),
            func.coalesce(func.sum(LedgerTransaction.amount_fen), 0),
        )
        .where(
            LedgerTransaction.franchisee_id == franchisee_id,
            LedgerTransaction.business_date == day,
        )
        .group_by(LedgerTransaction.kind)
    ).all()
    by = {kind: (int(n), int(total)) for kind, n, total in rows}

    def amount(kind):
        return by.get(kind, (0, 0))[1]

    totals = {
        "payments_count": by.get("payment", (0, 0))[0],
        "gross_fen": amount("payment"),
        "fee_fen": amount("fee") - amount("fee_refund"),
        "hq_share_fen": amount("hq_share") - amount("hq_share_refund"),
        "refund_fen": amount("refund"),
    }
    totals["net_fen"] = (
        totals["gross_fen"] - totals["fee_fen"] - totals["hq_share_fen"] - totals["refund_fen"]
    )
    return totals


def balance(franchisee_id: int) -> dict:
    """CONTRACT ``{"available_fen", "today_gross_fen", "today_net_fen", "as_of"}``."""
    totals = live_totals(franchisee_id, shanghai_day())
    return {
        "available_fen": ledger.available_balance(franchisee_id),
        "today_gross_fen": totals["gross_fen"],
        "today_net_fen": totals["net_fen"],
        "as_of": utcnow(),
    }


def statement_lines(franchisee_id: int, day: date) -> list[dict]:
    """Each payment and refund of the day with its fee, HQ share and net, by time."""
    rows = db.session.execute(
        select(
            LedgerTransaction.kind,
            LedgerTransaction.amount_fen,
            LedgerTransaction.payment_id,
            LedgerTransaction.refund_id,
            LedgerTransaction.created_at,
        )
        .where(
            LedgerTransaction.franchisee_id == franchisee_id,
            LedgerTransaction.business_date == day,
        )
        .order_by(LedgerTransaction.id)
    ).all()
    lines: dict[tuple, dict] = {}
    sign = {"fee": 1, "hq_share": 1, "fee_refund": -1, "hq_share_refund": -1}
    for kind, amount, payment_id, refund_id, created_at in rows:
        key = ("refund", refund_id) if refund_id else ("payment", payment_id)
        line = lines.setdefault(
            key,
            defaultdict(int, kind=key[0], payment_id=payment_id, refund_id=refund_id),
        )
        if kind in ("payment", "refund"):
            line["amount_fen"] += amount
            line.setdefault("posted_at", created_at)
        elif kind in ("fee", "fee_refund"):
            line["fee_fen"] += sign[kind] * amount
        else:
            line["hq_share_fen"] += sign[kind] * amount
    payment_ids = {line["payment_id"] for line in lines.values() if line["payment_id"]}
    info = {
        pid: (order_no, tid, paid_at, out_trade_no)
        for pid, order_no, tid, paid_at, out_trade_no in db.session.execute(
            select(
                Payment.id,
                Order.order_no,
                Payment.transaction_id,
                Payment.paid_at,
                Payment.out_trade_no,
            )
            .join(Order, Order.id == Payment.order_id)
            .where(Payment.id.in_(payment_ids or {0}))
        )
    }
    refund_ids = {line["refund_id"] for line in lines.values() if line["refund_id"]}
    refund_info = values_by_key(db.session, Refund.id, Refund.succeeded_at, refund_ids or {0})
    result = []
    for line in lines.values():
        order_no, tid, paid_at, out_trade_no = info.get(line["payment_id"], ("", "", None, ""))
        is_refund = line["kind"] == "refund"
        gross = -line["amount_fen"] if is_refund else line["amount_fen"]
        fee, share = line["fee_fen"], line["hq_share_fen"]
        when = refund_info.get(line["refund_id"]) if is_refund else paid_at
        result.append(
            {
                "kind": line["kind"],
                "order_no": order_no,
                "out_trade_no": out_trade_no,
                "transaction_id": tid,
                "time": when or line.get("posted_at"),
                "amount_fen": gross,
                "fee_fen": fee,
                "hq_share_fen": share,
                "net_fen": gross - fee - share,
            }
        )
    result.sort(key=lambda r: r["time"] or utcnow())
    return result


def closed_statement(franchisee_id: int, day: date) -> SettlementStatement | None:
    """The franchisee's snapshot of ``day`` (written when the day was closed), or None."""
    return db.session.scalars(
        select(SettlementStatement).where(
            SettlementStatement.franchisee_id == franchisee_id,
            SettlementStatement.business_date == day,
        )
    ).first()


def statement(franchisee_id: int, day: date, with_lines: bool = True) -> dict:
    """The day's statement: live for today and later, the snapshot for a closed day
    (live when the day was never closed)."""
    snapshot = closed_statement(franchisee_id, day) if day < shanghai_day() else None
    if snapshot is not None:
        totals = {k: getattr(snapshot, k) for k in TOTAL_KEYS}
        closed_at = snapshot.closed_at
    else:
        totals, closed_at = live_totals(franchisee_id, day), None
    return {
        "franchisee_id": franchisee_id,
        "date": day.isoformat(),
        "status": "closed" if snapshot is not None else "live",
        "closed_at": closed_at,
        **totals,
        "lines": statement_lines(franchisee_id, day) if with_lines else [],
        # --- members: the day's points line (HQ owes it ``fen``; negative: it owes HQ)
        "points": points_book.franchisee_points(franchisee_id, day),
    }


def close_day(day: date | None = None) -> int:
    """Snapshot ``day`` (default yesterday) for every franchisee with postings that day;
    idempotent (re-running refreshes). Commits; returns the statements written."""
    day = day or shanghai_yesterday()
    ids = db.session.scalars(
        select(LedgerTransaction.franchisee_id)
        .where(LedgerTransaction.business_date == day)
        .distinct()
    ).all()
    written = 0
    for franchisee_id in ids:
        totals = live_totals(franchisee_id, day)
        row = closed_statement(franchisee_id, day)
        if row is None:
            row = SettlementStatement(franchisee_id=franchisee_id, business_date=day)
            db.session.add(row)
        for key, value in totals.items():
            setattr(row, key, value)
        row.closed_at = utcnow()
        written += 1
    commit_or_rollback(db.session)
    return written


def history(franchisee_id: int, days: int = 30) -> list[dict]:
    """Totals per day for the last ``days`` days (closed days from snapshots, the
    others live)."""
    end = shanghai_day()
    start = end - timedelta(days=days - 1)
    snaps = {
        s.business_date: s
        for s in db.session.scalars(
            select(SettlementStatement).where(
                SettlementStatement.franchisee_id == franchisee_id,
                SettlementStatement.business_date >= start,
            )
        )
    }
    result = []
    for n in range(days):
        day = start + timedelta(days=n)
        if day in snaps and day != end:
            totals = {k: getattr(snaps[day], k) for k in TOTAL_KEYS}
        else:
            totals = live_totals(franchisee_id, day)
        result.append(
            {"date": day, "label": day.strftime("%m-%d"), "closed": day in snaps, **totals}
        )
    return result


def franchisee_overview(franchisee_ids: list[int]) -> list[dict]:
    """Available balance and today's live totals for each franchisee (the HQ page)."""
    names = values_by_key(db.session, Franchisee.id, Franchisee.name, franchisee_ids or {0})
    day = shanghai_day()
    return [
        {
            "franchisee_id": fid,
            "name": names.get(fid, ""),
            "available_fen": ledger.available_balance(fid),
            **live_totals(fid, day),
        }
        for fid in franchisee_ids
    ]
