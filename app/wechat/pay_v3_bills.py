"""WeChat Pay APIv3 bills: the trade bill and a sub-merchant's fund-flow bill, downloaded
(the file's SHA1 checked against the announced ``hash_value``, gunzipped, the fund-flow
file decrypted) and the fund-flow bill read: the lines of money that moved through a
sub-merchant's basic account, with amounts in fen.

Columns (the file's header): 记账时间, 微信支付业务单号, 资金流水单号, 业务名称, 业务类型,
收支类型 (收入 / 支出), 收支金额(元), 账户结余(元), 资金变更提交申请人, 备注, 业务凭证号; then
a totals header and line. Every cell starts with a backquote (so Excel keeps long
numbers). ``amount_fen`` is signed: income positive, expense negative.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.money import MIN_FEN, parse_yuan
from app.wechat.errors import WeChatAPIError, WeChatUnavailable
from app.wechat.pay import bill_cells, bill_lines
from app.wechat.pay_v3 import as_dict, call
from app.wechat.pay_v3_client import v3_client


def parse_fund_bill(text: str) -> list[dict]:
    """The detail lines of a fund-flow bill as dicts (``transaction_id``, ``business``,
    ``kind``, ``amount_fen``, ``balance_fen``, ``booked_at``, ``voucher``)."""
    lines = bill_lines(text)
    if len(lines) < 3:
        return []
    header = lines[0].split(",")
    rows = []
    for line in lines[1:-2]:
        row = dict(zip(header, bill_cells(line), strict=False))
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


def _download(api: str, pay, item) -> bytes:
    """Fetch a bill file at ``item["download_url"]`` and check its SHA1 ``hash_value``."""
    url = item.get("download_url") if isinstance(item, dict) else None
    if not url:
        raise WeChatAPIError(f"{api}: no download_url", api=api)
    data = call("v3/billdownload/file", pay.download_bill, url)
    if not isinstance(data, bytes):
        data = (data if isinstance(data, str) else json.dumps(data)).encode()
    if item.get("hash_value") and hashlib.sha1(data).hexdigest() != item["hash_value"]:
        raise WeChatUnavailable(f"{api}: the file's hash is not the one announced", api=api)
    return data


def _text(data: bytes) -> str:
    """A bill file as text (gunzipped when it is gzip)."""
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8")


def _day(bill_date: date | datetime | str) -> str:
    return bill_date if isinstance(bill_date, str) else bill_date.strftime("%Y-%m-%d")


def download_bill(
    bill_date: date | datetime | str, sub_mch_id: str | None = None, client=None
) -> str:
    """The day's trade bill (``/v3/bill/tradebill``, ALL, GZIP) as text, in the v2 bill's
    columns (``app.wechat.pay.parse_bill`` reads both)."""
    pay = client or v3_client()
    answer = call(
        "v3/bill/tradebill", pay.trade_bill, _day(bill_date), "ALL", "GZIP", sub_mch_id or None
    )
    return _text(_download("v3/bill/tradebill", pay, answer))


def download_fundflow_bill(sub_mch_id: str, bill_date: date | datetime | str, client=None) -> str:
    """A sub-merchant's basic-account fund-flow bill of the day (申请单个子商户资金账单) as
    text: each file is AES-256-GCM under a key sent RSA-encrypted with our public key."""
    pay = client or v3_client()
    api = "v3/bill/sub-merchant-fundflowbill"
    answer = call(api, pay.submch_fundflow_bill, sub_mch_id, _day(bill_date), "BASIC")
    parts = []
    for item in as_dict(answer).get("download_bill_list") or []:
        key = pay.decrypt(item["encrypt_key"]).encode("utf-8")
        sealed = _download(api, pay, item)
        try:
            plain = AESGCM(key).decrypt(str(item["nonce"]).encode(), sealed, b"")
        except InvalidTag as exc:
            raise WeChatUnavailable(f"{api}: the file does not decrypt", api=api) from exc
        parts.append(_text(plain))
    return "".join(parts)
