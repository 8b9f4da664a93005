"""Reading WeChat Pay's fund-flow bill (资金账单): the lines of money that moved through a
sub-merchant's basic account, with amounts in fen.

Columns (the file's header): 记账时间, 微信支付业务单号, 资金流水单号, 业务名称, 业务类型,
收支类型 (收入 / 支出), 收支金额(元), 账户结余(元), 资金变更提交申请人, 备注, 业务凭证号; then
a totals header and line. Every cell starts with a backquote (so Excel keeps long
numbers). ``amount_fen`` is signed: income positive, expense negative.
"""

from __future__ import annotations

from app.money import MIN_FEN, parse_yuan


def _cells(line: str) -> list[str]:
    return [c[1:] if c.startswith("`") else c for c in line.split(",")]


def parse_fund_bill(text: str) -> list[dict]:
    """The detail lines of a fund-flow bill as dicts (``transaction_id``, ``business``,
    ``kind``, ``amount_fen``, ``balance_fen``, ``booked_at``, ``voucher``)."""
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if len(lines) < 3:
        return []
    header = lines[0].split(",")
    rows = []
    for line in lines[1:-2]:
        row = dict(zip(header, _cells(line), strict=False))
        amount = parse_yuan(row.get("收支金额(元)") or "0", MIN_FEN)
        rows.append(
            {
                "booked_at": row.get("记账时间", ""),
                "transaction_id": row.get("微信支付业务单号", ""),
                "flow_id": row.get("资金流水单号", ""),
                "business": row.get("业务名称", ""),
                "kind": row.get("业务类型", ""),
                "amount_fen": amount if row.get("收支类型") == "收入" else -amount,
                "balance_fen": parse_yuan(row.get("账户结余(元)") or "0", MIN_FEN),
                "voucher": row.get("业务凭证号", ""),
            }
        )
    return rows
