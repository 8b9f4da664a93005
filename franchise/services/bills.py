"""Keep WeChat Pay's bills of a day as ``BillLine`` rows (T+1, after 10:00 Shanghai).

``store_trade_lines`` keeps the trade bill the reconciliation run downloaded (payments
positive, refunds negative); ``refresh_fund_lines`` downloads each franchisee's fund-flow
bill (APIv3 only: 申请单个子商户资金账单) and keeps its lines. Each replaces the lines of
its (day, kind, sub-merchant), so a second run of the day leaves one copy. WeChat is
called with no transaction open; a franchisee whose bill cannot be had yet is skipped
(and named in the answer) so the others are kept.
"""

from __future__ import annotations

import logging
from datetime import date

from flask import current_app
from sqlalchemy import delete, insert, select

from app.extensions import db
from app.wechat.errors import WeChatAPIError, WeChatError
from franchise.models import BillLine, Franchisee

log = logging.getLogger("siyu.franchise.payments")

NO_BILL_CODES = ("NO_STATEMENT_EXIST",)


def _replace(day: date, kind: str, rows: list[dict], subs: set[str]) -> int:
    franchisee_by_mch = dict(db.session.execute(select(Franchisee.sub_mch_id, Franchisee.id)).all())
    db.session.execute(
        delete(BillLine).where(
            BillLine.bill_date == day, BillLine.kind == kind, BillLine.sub_mch_id.in_(subs or {""})
        )
    )
    values = [
        {
            "bill_date": day,
            "kind": kind,
            "line_no": n,
            "franchisee_id": franchisee_by_mch.get(row["sub_mch_id"]),
            **row,
        }
        for n, row in enumerate(rows, 1)
    ]
    if values:
        db.session.execute(insert(BillLine), values)
    db.session.commit()
    return len(values)


def store_trade_lines(day: date, parsed_rows: list[dict]) -> int:
    """Keep the trade bill's lines (``app.wechat.pay.parse_bill`` rows) of ``day``."""
    rows = []
    for row in parsed_rows:
        refund = row.get("交易状态") == "REFUND"
        amount = -int(row.get("refund_fen") or 0) if refund else int(row.get("order_fen") or 0)
        rows.append(
            {
                "sub_mch_id": str(row.get("特约商户号", ""))[:32],
                "transaction_id": str(row.get("微信订单号", ""))[:32],
                "reference": str(row.get("商户退款单号" if refund else "商户订单号", ""))[:64],
                "business": str(row.get("交易状态", ""))[:16],
                "amount_fen": amount,
                "fee_fen": int(row.get("fee_fen") or 0),
                "booked_at": str(row.get("交易时间", ""))[:19],
            }
        )
    subs: set[str] = {str(r["sub_mch_id"]) for r in rows} | set(
        db.session.scalars(select(Franchisee.sub_mch_id))
    )
    return _replace(day, "trade", rows, subs)


def refresh_fund_lines(day: date) -> dict:
    """Download and keep each franchisee's fund-flow bill of ``day`` (APIv3 only);
    ``{"stored": n, "missing": [sub_mch_id, ...]}``."""
    if current_app.config.get("PAY_API") != "v3":
        return {"stored": 0, "missing": []}
    from app.wechat.pay_v3_bills import download_fundflow_bill, parse_fund_bill

    subs = list(db.session.scalars(select(Franchisee.sub_mch_id).order_by(Franchisee.id)))
    db.session.commit()
    stored, missing = 0, []
    for sub in subs:
        try:
            text = download_fundflow_bill(sub, day)
        except WeChatAPIError as exc:
            if exc.errcode not in NO_BILL_CODES:
                missing.append(sub)
            continue
        except WeChatError:
            missing.append(sub)
            continue
        rows = [
            {
                "sub_mch_id": sub,
                "transaction_id": r["transaction_id"][:32],
                "reference": r["voucher"][:64],
                "business": r["business"][:16],
                "amount_fen": r["amount_fen"],
                "fee_fen": None,
                "booked_at": r["booked_at"][:19],
            }
            for r in parse_fund_bill(text)
        ]
        stored += _replace(day, "fund", rows, {sub})
    if missing:
        log.warning("fund-flow bills of %s not had for %s", day, ", ".join(missing))
    return {"stored": stored, "missing": missing}
