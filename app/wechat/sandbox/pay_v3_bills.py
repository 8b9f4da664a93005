"""Sandbox APIv3 bills: the trade bill (申请交易账单), a sub-merchant's fund-flow bill
(申请单个子商户资金账单) and the download of either (下载账单).

- ``/v3/bill/tradebill?bill_date=YYYY-MM-DD&bill_type=ALL&tar_type=GZIP[&sub_mchid=]``:
  the v2 ALL bill's columns (``pay_sharing.build_bill``), gzipped.
- ``/v3/bill/sub-merchant-fundflowbill?sub_mchid=&bill_date=&account_type=BASIC&
  algorithm=AEAD_AES_256_GCM``: the sub-merchant's basic account, one line per money
  movement (交易 income, 扣除交易手续费, 分账 and 退款 expenses) with a running balance,
  then the totals; the file is AES-256-GCM encrypted under a fresh key that is sent
  RSA-OAEP encrypted with the merchant's public key (``encrypt_key``), as WeChat does.
- A bill of day D is made from 09:00 on D+1 and fetched after 10:00 (before: 400
  ``STATEMENT_CREATING`` 账单生成中); a day without lines is 400 ``NO_STATEMENT_EXIST``
  (请求的账单文件不存在). The answer gives ``hash_type`` SHA1, ``hash_value`` of the file
  and a ``download_url`` on WeChat's host valid 30 s; the download itself is not signed.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Response, request

from app.wechat.sandbox.blueprint import bp, state
from app.wechat.sandbox.pay_sharing import build_bill, service_fee, yuan
from app.wechat.sandbox.pay_v3 import P3
from app.wechat.sandbox.pay_v3_auth import answer, identity, v3_error, v3_request
from app.wechat.sandbox.state import SHANGHAI

GATEWAY = "https://api.mch.weixin.qq.com"
URL_SECONDS = 30
FUND_HEADER = (
    "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),"
    "账户结余(元),资金变更提交申请人,备注,业务凭证号"
)
FUND_TOTAL_HEADER = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"


def _day(text: str):
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


def _ready(day) -> bool:
    return datetime.fromtimestamp(state().now(), SHANGHAI) >= day + timedelta(days=1, hours=10)


def fund_lines(st, day_text: str, sub_mchid: str) -> list[tuple[float, list[str], int]]:
    """(time, cells, signed fen) of each money movement of ``sub_mchid`` on the day."""
    moves: list[tuple[float, str, str, str, str, int, str]] = []
    for o in st.data["orders"].values():
        if o["sub_mch_id"] != sub_mchid or not o.get("paid_at"):
            continue
        tid = o["transaction_id"]
        moves.append((o["paid_at"], tid, "交易", "交易", "收入", o["total_fee"], o["out_trade_no"]))
        moves.append(
            (
                o["paid_at"],
                tid,
                "扣除交易手续费",
                "手续费",
                "支出",
                -service_fee(o["total_fee"]),
                o["out_trade_no"],
            )
        )
    for r in st.data["refunds"].values():
        if r["sub_mch_id"] == sub_mchid:
            moves.append(
                (
                    r["created_at"],
                    r["transaction_id"],
                    "退款",
                    "退款",
                    "支出",
                    -r["refund_fee"],
                    r["out_refund_no"],
                )
            )
    for s in st.data["shares"].values():
        shared = sum(
            int(x.get("amount") or 0) for x in s["receivers"] if x.get("account") != sub_mchid
        )
        if s["sub_mch_id"] == sub_mchid and shared:
            moves.append(
                (
                    s["created_at"],
                    s["transaction_id"],
                    "分账",
                    "分账",
                    "支出",
                    -shared,
                    s["out_order_no"],
                )
            )
    balance, out = 0, []
    for at, tid, name, kind, side, fen, voucher in sorted(moves, key=lambda m: m[0]):
        balance += fen
        if datetime.fromtimestamp(at, SHANGHAI).strftime("%Y-%m-%d") != day_text:
            continue
        stamp = datetime.fromtimestamp(at, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        cells = [
            stamp,
            tid,
            "1000" + secrets.token_hex(8),
            name,
            kind,
            side,
            yuan(abs(fen)),
            yuan(balance),
            "system",
            "",
            voucher,
        ]
        out.append((at, cells, fen))
    return out


def build_fund_bill(st, day_text: str, sub_mchid: str) -> str | None:
    lines = fund_lines(st, day_text, sub_mchid)
    if not lines:
        return None
    income = [fen for _, _, fen in lines if fen > 0]
    spent = [-fen for _, _, fen in lines if fen < 0]
    rows = [FUND_HEADER] + [",".join("`" + c for c in cells) for _, cells, _ in lines]
    totals = [len(lines), len(income), yuan(sum(income)), len(spent), yuan(sum(spent))]
    rows += [FUND_TOTAL_HEADER, ",".join("`" + str(c) for c in totals)]
    return "\r\n".join(rows) + "\r\n"


def _publish(data: bytes) -> tuple[str, str]:
    """Keep ``data`` for download; (download_url, sha1 of it)."""
    st = state()
    token = secrets.token_urlsafe(18)
    with st.lock:
        files = st.data.setdefault("bill_files", {})
        files[token] = {"data": base64.b64encode(data).decode(), "expires_at": st.now() + 30}
    digest = hashlib.sha1(data).hexdigest()  # WeChat's hash_type is SHA1
    return f"{GATEWAY}/v3/billdownload/file?token={token}&tartype=gzip", digest


def _bill_or_error(day_text: str, text_for):
    day = _day(day_text)
    if day is None:
        return None, v3_error(400, "PARAM_ERROR", "bill_date 格式错误,应为 YYYY-MM-DD")
    if not _ready(day):
        return None, v3_error(400, "STATEMENT_CREATING", "账单生成中")
    text = text_for(day)
    if text is None:
        return None, v3_error(400, "NO_STATEMENT_EXIST", "请求的账单文件不存在")
    return text, None


@bp.get(P3 + "bill/tradebill")
def v3_tradebill():
    v3_request("bill/tradebill")
    st = state()
    sub = request.args.get("sub_mchid", "")
    text, error = _bill_or_error(
        request.args.get("bill_date", ""), lambda d: build_bill(st, d.strftime("%Y%m%d"), sub)
    )
    if error is not None:
        return error
    url, digest = _publish(gzip.compress(text.encode("utf-8")))
    return answer({"hash_type": "SHA1", "hash_value": digest, "download_url": url})


@bp.get(P3 + "bill/sub-merchant-fundflowbill")
def v3_submch_fundflowbill():
    v3_request("bill/sub-merchant-fundflowbill")
    st = state()
    sub = request.args.get("sub_mchid", "")
    if request.args.get("account_type") != "BASIC" or not sub:
        return v3_error(400, "PARAM_ERROR", "sub_mchid 与 account_type(BASIC) 必填")
    text, error = _bill_or_error(
        request.args.get("bill_date", ""),
        lambda d: build_fund_bill(st, d.strftime("%Y-%m-%d"), sub),
    )
    if error is not None:
        return error
    key, nonce = secrets.token_hex(16).encode(), secrets.token_hex(6)  # 32 bytes, 12 bytes
    sealed = AESGCM(key).encrypt(nonce.encode(), gzip.compress(text.encode("utf-8")), b"")
    encrypt_key = identity().merchant_public.encrypt(
        key, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    )
    url, digest = _publish(sealed)
    item = {
        "bill_sequence": 1,
        "download_url": url,
        "encrypt_key": base64.b64encode(encrypt_key).decode(),
        "hash_type": "SHA1",
        "hash_value": digest,
        "nonce": nonce,
    }
    return answer({"download_bill_count": 1, "download_bill_list": [item]})


@bp.get(P3 + "billdownload/file")
def v3_billdownload():
    v3_request("billdownload/file")
    st = state()
    with st.lock:
        item = st.data.get("bill_files", {}).get(request.args.get("token", ""))
    if item is None or st.now() > item["expires_at"]:
        return v3_error(400, "INVALID_REQUEST", "下载地址已过期或无效")
    return Response(base64.b64decode(item["data"]), mimetype="application/octet-stream")
