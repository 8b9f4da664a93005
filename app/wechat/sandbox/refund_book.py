"""The sandbox's refunds, one book for both of its WeChat Pay APIs.

APIv2 (``secapi/pay/refund``) and APIv3 (``/v3/refund/domestic/refunds``) write the same
refunds (``st.data["refunds"]`` by ``out_refund_no``) under the same rules, stated once
here; each endpoint answers a refusal in its own API's words:

- the refund's ``total`` must be the order's amount (``TOTAL_DIFFERS``);
- the same ``out_refund_no`` again is the same refund, answered again; with another amount
  or for another order it is refused (``REUSED``);
- the refunds of an order never add up to more than it was paid (``TOO_MUCH``).
"""

from __future__ import annotations

import secrets

from app.wechat.sandbox.state import SandboxState

TOTAL_DIFFERS, REUSED, TOO_MUCH = "total_differs", "reused", "too_much"


def take_refund(
    st: SandboxState,
    order: dict,
    out_refund_no: str,
    total_fee: int,
    refund_fee: int,
    status: str,
    **extra,
) -> tuple[str | None, dict | None, bool]:
    """Book a refund of ``refund_fee`` fen on the paid ``order`` (the caller holds
    ``st.lock`` and has checked that it is paid), in ``status`` with ``extra`` fields.

    Returns ``(refusal, refund, new)``: a refusal code and no refund; or the refund,
    ``new`` False when ``out_refund_no`` named an earlier one with the same values.
    """
    if total_fee != order["total_fee"]:
        return TOTAL_DIFFERS, None, False
    existing = st.data["refunds"].get(out_refund_no)
    if existing:
        if (
            existing["refund_fee"] != refund_fee
            or existing["out_trade_no"] != order["out_trade_no"]
        ):
            return REUSED, None, False
        return None, existing, False
    if refund_fee > order["total_fee"] - order["refunded_fee"]:
        return TOO_MUCH, None, False
    item = {
        "out_refund_no": out_refund_no,
        "refund_id": "50" + secrets.token_hex(13),
        "out_trade_no": order["out_trade_no"],
        "transaction_id": order["transaction_id"],
        "refund_fee": refund_fee,
        "total_fee": total_fee,
        "refund_status": status,
        "created_at": st.now(),
        "sub_mch_id": order["sub_mch_id"],
        **extra,
    }
    st.data["refunds"][out_refund_no] = item
    order["refunded_fee"] += refund_fee
    order["trade_state"] = "REFUND"
    return None, item, True
