"""T+1 reconciliation: WeChat's bill of a day against the ledger's payments of that day.

The bill (all sub-merchants of the service provider, amounts in yuan, ready after 10:00
the next day) is downloaded first, outside any transaction; ``parse_bill`` gives fen.
Its ``SUCCESS`` rows are matched with ``Payment`` rows of the same business date by
``transaction_id``: in the bill only → ``missing_in_ledger``; in the ledger only →
``missing_in_bill``; both with another amount → ``amount``. Each run is a
``ReconciliationRun`` (attempt 1, 2 … per day) with its ``ReconciliationItem``s; any
difference or a failed download leaves an Alert for HQ, and each franchisee whose own
reconciliation of the day differs gets one of its own (``owner_reconciliation``). The
run also refreshes that day's settlement snapshots (a notify may have arrived after the
nightly close). The bill's lines are kept (``franchise.services.bills``) with, under
APIv3, each franchisee's fund-flow bill: the owner's reconciliation page reads them.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.wechat import pay as wxpay
from app.wechat.errors import WeChatAPIError, WeChatError
from franchise.models import Franchisee, Payment, ReconciliationItem, ReconciliationRun
from franchise.services import alerts, bills, owner_reconciliation, settlement

log = logging.getLogger("siyu.franchise.payments")

NO_BILL = "No Bill Exist"  # v2's answer for a day without trade
NO_STATEMENT = "NO_STATEMENT_EXIST"  # v3's


def fetch_bill(day: date) -> tuple[list[dict] | None, str | None]:
    """The bill's payment rows ``[{transaction_id, out_trade_no, sub_mch_id, amount_fen}]``,
    or (None, error) when WeChat has no bill to give yet. A day without trade is []."""
    try:
        text = wxpay.download_bill(day)
    except WeChatAPIError as exc:
        message = f"{exc.errmsg or ''} {exc}"
        if NO_BILL.lower() in message.lower() or exc.errcode == NO_STATEMENT:
            return [], None
        return None, str(exc)[:500]
    except WeChatError as exc:
        return None, str(exc)[:500]
    parsed = wxpay.parse_bill(text)["rows"]
    bills.store_trade_lines(day, parsed)
    rows = []
    for row in parsed:
        if row.get("交易状态") != "SUCCESS":
            continue
        rows.append(
            {
                "transaction_id": row.get("微信订单号", ""),
                "out_trade_no": row.get("商户订单号", ""),
                "sub_mch_id": row.get("特约商户号", ""),
                "amount_fen": int(row.get("order_fen", row.get("settlement_fen", 0))),
            }
        )
    return rows, None


def compare(bill: list[dict], day: date) -> tuple[list[dict], int, int]:
    """Differences between the bill rows and the ledger's payments of ``day``."""
    payments = {
        p.transaction_id: p
        for p in db.session.scalars(select(Payment).where(Payment.business_date == day))
    }
    franchisee_by_mch = dict(db.session.execute(select(Franchisee.sub_mch_id, Franchisee.id)).all())
    items = []
    seen = set()
    for row in bill:
        tid = row["transaction_id"]
        seen.add(tid)
        payment = payments.get(tid)
        if payment is None:
            items.append(
                {
                    "kind": "missing_in_ledger",
                    "franchisee_id": franchisee_by_mch.get(row["sub_mch_id"]),
                    "transaction_id": tid[:32],
                    "out_trade_no": row["out_trade_no"][:32],
                    "bill_amount_fen": row["amount_fen"],
                    "ledger_amount_fen": None,
                }
            )
        elif payment.amount_fen != row["amount_fen"]:
            items.append(
                {
                    "kind": "amount",
                    "franchisee_id": payment.franchisee_id,
                    "transaction_id": tid,
                    "out_trade_no": payment.out_trade_no,
                    "bill_amount_fen": row["amount_fen"],
                    "ledger_amount_fen": payment.amount_fen,
                }
            )
    for tid, payment in payments.items():
        if tid not in seen:
            items.append(
                {
                    "kind": "missing_in_bill",
                    "franchisee_id": payment.franchisee_id,
                    "transaction_id": tid,
                    "out_trade_no": payment.out_trade_no,
                    "bill_amount_fen": None,
                    "ledger_amount_fen": payment.amount_fen,
                }
            )
    ledger_total = sum(p.amount_fen for p in payments.values())
    return items, len(payments), ledger_total


def reconcile(day: date) -> ReconciliationRun:
    """Download, compare and record one run for ``day``; commits; returns the run."""
    db.session.commit()  # nothing open while WeChat is called
    bill, error = fetch_bill(day)
    for _ in range(3):  # a concurrent run may take the same attempt number
        attempt = (
            db.session.scalar(
                select(func.max(ReconciliationRun.attempt)).where(
                    ReconciliationRun.bill_date == day
                )
            )
            or 0
        ) + 1
        run = ReconciliationRun(bill_date=day, attempt=attempt)
        if bill is None:
            run.status, run.error = "error", error
        else:
            items, ledger_rows, ledger_total = compare(bill, day)
            run.bill_rows = len(bill)
            run.bill_total_fen = sum(r["amount_fen"] for r in bill)
            run.ledger_rows, run.ledger_total_fen = ledger_rows, ledger_total
            run.items = [ReconciliationItem(**item) for item in items]
            run.status = "differences" if items else "ok"
        db.session.add(run)
        try:
            db.session.commit()
            break
        except IntegrityError:
            db.session.rollback()
    else:  # pragma: no cover - three lost races in a row
        raise RuntimeError("could not record the reconciliation run")
    if run.status == "differences":
        kinds = ", ".join(sorted({i.kind for i in run.items}))
        params = {"run_id": run.id, "date": day.isoformat(), "count": len(run.items)}
        alerts.record("reconciliation", data=params | {"kinds": kinds})
    elif run.status == "error":
        params = {"run_id": run.id, "date": day.isoformat(), "error": error}
        alerts.record("reconciliation_error", data=params)
    if bill is not None:
        bills.refresh_fund_lines(day)  # what WeChat settled (APIv3), kept apart from the ledger
        owner_reconciliation.alert_owners(day)  # each owner is told of their differences
    settlement.close_day(day)
    return run
