"""A franchisee's reconciliation of a day: every statement line beside WeChat's bills.

Each item joins one statement line (a payment or refund the ledger booked) with its
``transaction_id``, the trade bill's line (what WeChat billed), the fund-flow bill's
lines (what WeChat actually settled into the franchisee's account: ``settled``) and, for
a payment, HQ's profit-share receipt. A trade-bill line the ledger never booked is an
item too. ``booked_fen`` is the ledger's, ``billed_fen`` the bill's, ``difference`` is
billed − booked; ``status`` says which of ``matched``, ``missing_in_bill``,
``missing_in_ledger``, ``amount``, ``not_settled`` (billed and booked agree but the money
is not in the fund-flow bill) or ``pending`` (the day's bills are not in yet) holds.

After each reconciliation run, ``alert_owners`` leaves each franchisee whose day has
differences an ``owner_reconciliation`` alert of its own (one per franchisee and day, in
the owner's alerts list through the tenant scope), so every difference HQ is told of is
told to the owner too. ``not_settled`` counts only once the fund-flow bill is in (under
APIv2 there is none: nothing could be settled by it).

The export is a canonical CSV (fixed columns, rows by transaction id and kind, ``\\n``
line ends, UTF-8 without BOM) whose SHA-256 both the franchisee and HQ can quote.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from datetime import date

from sqlalchemy import select

from app.extensions import db
from franchise.models import BillLine, Franchisee, Payment, ProfitShare
from franchise.services import alerts
from franchise.services.settlement import statement_lines

CSV_COLUMNS = (
    "transaction_id",
    "kind",
    "out_trade_no",
    "booked_fen",
    "billed_fen",
    "settled_fen",
    "settled",
    "difference",
    "status",
    "profit_share_fen",
    "profit_share_order_id",
)
PAYMENT, REFUND = "payment", "refund"
SETTLED_BUSINESS = {PAYMENT: "交易", REFUND: "退款"}


def _bill_lines(franchisee_id: int, day: date) -> dict[str, list[BillLine]]:
    lines: dict[str, list[BillLine]] = defaultdict(list)
    for line in db.session.scalars(
        select(BillLine)
        .where(BillLine.franchisee_id == franchisee_id, BillLine.bill_date == day)
        .order_by(BillLine.kind, BillLine.line_no)
    ):
        lines[line.kind].append(line)
    return lines


def _receipts(transaction_ids: set[str]) -> dict[str, ProfitShare]:
    rows = db.session.execute(
        select(Payment.transaction_id, ProfitShare)
        .join(ProfitShare, ProfitShare.payment_id == Payment.id)
        .where(Payment.transaction_id.in_(transaction_ids or {""}))
    ).all()
    return {row[0]: row[1] for row in rows}


def _status(item: dict, bills_in: bool) -> str:
    if not bills_in:
        return "pending"
    if item["booked_fen"] is None:
        return "missing_in_ledger"
    if item["billed_fen"] is None:
        return "missing_in_bill"
    if item["billed_fen"] != item["booked_fen"]:
        return "amount"
    return "matched" if item["settled"] else "not_settled"


def reconciliation(franchisee_id: int, day: date) -> dict:
    """The day's items (see the module) and whether WeChat's bills are in."""
    bills = _bill_lines(franchisee_id, day)
    trade: dict[tuple[str, str], BillLine] = {}
    for line in bills["trade"]:
        kind = REFUND if line.amount_fen < 0 else PAYMENT
        trade[(line.transaction_id, kind)] = line
    fund: dict[tuple[str, str], list[BillLine]] = defaultdict(list)
    for line in bills["fund"]:
        fund[(line.transaction_id, line.business)].append(line)
    items = []
    for entry in statement_lines(franchisee_id, day):
        kind, tid = entry["kind"], entry["transaction_id"]
        booked = abs(entry["amount_fen"])  # a refund's line is negative on the statement
        items.append(_item(kind, tid, entry["out_trade_no"], booked, entry, trade, fund))
    seen = {(i["transaction_id"], i["kind"]) for i in items}
    for (tid, kind), bill in trade.items():
        if (tid, kind) not in seen:
            items.append(_item(kind, tid, bill.reference, None, None, trade, fund))
    receipts = _receipts({i["transaction_id"] for i in items if i["kind"] == PAYMENT})
    bills_in = bool(bills["trade"])
    for item in items:
        share = receipts.get(item["transaction_id"]) if item["kind"] == PAYMENT else None
        shared_line = fund.get((item["transaction_id"], "分账"), [])
        item["profit_share"] = (
            {
                "out_order_no": share.out_order_no,
                "wechat_order_id": share.wechat_order_id,
                "amount_fen": share.amount_fen,
                "status": share.status,
                "billed_fen": -sum(f.amount_fen for f in shared_line) if shared_line else None,
            }
            if share is not None
            else None
        )
        item["status"] = _status(item, bills_in)
    items.sort(key=lambda i: (i["transaction_id"], i["kind"]))
    return {
        "franchisee_id": franchisee_id,
        "date": day.isoformat(),
        "bills_in": bills_in,
        "fund_bill_in": bool(bills["fund"]),
        "items": items,
        "differences": [i for i in items if i["status"] not in ("matched", "pending")],
    }


def _item(kind, tid, out_trade_no, booked, statement_line, trade, fund) -> dict:
    bill = trade.get((tid, kind))
    billed = None if bill is None else abs(bill.amount_fen)
    moved = fund.get((tid, SETTLED_BUSINESS[kind]), [])
    settled_fen = abs(sum(f.amount_fen for f in moved)) if moved else None
    return {
        "transaction_id": tid,
        "kind": kind,
        "out_trade_no": out_trade_no or "",
        "booked_fen": booked,
        "billed_fen": billed,
        "settled": bool(moved),
        "settled_fen": settled_fen,
        "difference": (billed or 0) - (booked or 0),
        "statement_line": statement_line,
        "bill_line": None
        if bill is None
        else {"line_no": bill.line_no, "booked_at": bill.booked_at, "fee_fen": bill.fee_fen},
        "fund_lines": [
            {
                "line_no": f.line_no,
                "booked_at": f.booked_at,
                "business": f.business,
                "amount_fen": f.amount_fen,
            }
            for f in fund.get((tid, SETTLED_BUSINESS[kind]), [])
        ],
    }


def canonical_csv(view: dict) -> bytes:
    """The items as the canonical CSV both sides hash (see the module)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in view["items"]:
        share = item["profit_share"] or {}
        row = {
            **item,
            "settled": "1" if item["settled"] else "0",
            "profit_share_fen": share.get("amount_fen", ""),
            "profit_share_order_id": share.get("wechat_order_id") or "",
        }
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")


def statement_hash(view: dict) -> str:
    """SHA-256 (hex) of ``canonical_csv``: the figure both sides quote."""
    return hashlib.sha256(canonical_csv(view)).hexdigest()


def owner_differences(view: dict) -> list[dict]:
    """The differences worth telling the owner of (see the module)."""
    return [i for i in view["differences"] if i["status"] != "not_settled" or view["fund_bill_in"]]


def alert_owners(day: date) -> int:
    """An ``owner_reconciliation`` alert for each franchisee whose ``day`` differs (each
    in its own commit); how many."""
    raised = 0
    for franchisee_id in db.session.scalars(select(Franchisee.id).order_by(Franchisee.id)).all():
        found = owner_differences(reconciliation(franchisee_id, day))
        db.session.rollback()
        if not found:
            continue
        kinds = ", ".join(sorted({i["status"] for i in found}))
        params = {"franchisee_id": franchisee_id, "date": day.isoformat(), "count": len(found)}
        alerts.record(
            "owner_reconciliation", data=params | {"kinds": kinds}, franchisee_id=franchisee_id
        )
        raised += 1
    return raised
