"""APIv3 notifies built as WeChat Pay builds them (the emulator's own helpers), and forged
in each of the ways the route must refuse: another signing key, another serial, a
timestamp over 5 minutes off, a resource under another APIv3 key, a body changed after
signing, no signature headers."""

from __future__ import annotations

import json
import secrets
import time

from cryptography.hazmat.primitives.asymmetric import rsa

from app.wechat.sandbox.pay_v3_auth import encrypt_resource, signed_headers

OTHER_APIV3_KEY = "AnotherApiV3Key00000000000000001"
FORGERIES = ("other_key", "wrong_serial", "stale", "future", "other_apiv3_key", "tampered")
REASONS = {
    "other_key": "invalid signature",
    "tampered": "invalid signature",
    "wrong_serial": "unknown serial",
    "stale": "stale timestamp",
    "future": "stale timestamp",
    "other_apiv3_key": "resource does not decrypt",
    "missing_headers": "missing signature headers",
}


def paid_resource(app, out_trade_no: str, total: int, sub_mchid: str = "1900000201") -> dict:
    """The decrypted TRANSACTION.SUCCESS resource of a payment of ``out_trade_no``."""
    cfg = app.config
    return {
        "sp_appid": cfg["PAY_APPID"],
        "sp_mchid": cfg["PAY_MCH_ID"],
        "sub_appid": cfg["MP_APPID"],
        "sub_mchid": sub_mchid,
        "out_trade_no": out_trade_no,
        "transaction_id": "4200" + "".join(secrets.choice("0123456789") for _ in range(24)),
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": "2026-11-26T12:00:00+08:00",
        "payer": {"sub_openid": "oPAYv3"},
        "amount": {"total": total, "payer_total": total, "currency": "CNY"},
    }


def v3_notify(
    app, resource: dict, *, forgery: str | None = None, event: str = "TRANSACTION.SUCCESS"
) -> tuple[bytes, dict]:
    """(body, headers) of a notify carrying ``resource``, forged as ``forgery`` says."""
    with app.app_context():
        key = OTHER_APIV3_KEY if forgery == "other_apiv3_key" else None
        original = "refund" if event.startswith("REFUND") else "transaction"
        body = json.dumps(
            {
                "id": "EV-" + secrets.token_hex(8),
                "create_time": "2026-11-26T12:00:01+08:00",
                "resource_type": "encrypt-resource",
                "event_type": event,
                "summary": "支付成功",
                "resource": encrypt_resource(resource, original, key),
            },
            ensure_ascii=False,
        )
        now = int(time.time())
        stamp = {"stale": now - 330, "future": now + 330}.get(forgery or "", now)
        signer = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if forgery == "other_key"
            else None
        )
        serial = "PUB_KEY_ID_0199999999999999999999" if forgery == "wrong_serial" else None
        headers = signed_headers(body, timestamp=stamp, serial=serial, key=signer)
    if forgery == "tampered":
        body = body.replace('"summary": "支付成功"', '"summary": "支付成功 "')
    if forgery == "missing_headers":
        headers = {}
    headers["Content-Type"] = "application/json"
    return body.encode(), headers


def reconcile_a_day(app, client, org, hq_headers) -> tuple:
    """Three payments of franchise A (10000, 2500, 777 fen), HQ's shares sent, the first
    refunded 3000; WeChat billed the third for one fen more than the ledger booked; the
    day's bills downloaded by a reconciliation run. (day, transaction ids)."""
    from sqlalchemy import select

    from app.clock import shanghai_day
    from app.extensions import db
    from app.outbox import drain
    from app.wechat.sandbox import sandbox_state
    from franchise.models import Order
    from franchise.services import reconciliation
    from tests.franchise.factories_payments import paid_orders, to_bill_time

    tids = paid_orders(app, client, org, [10000, 2500, 777])
    with app.app_context():
        drain()  # HQ's profit shares go out
        order_id = db.session.scalar(select(Order.id).where(Order.transaction_id == tids[0]))
    res = client.post(
        f"/api/v1/orders/{order_id}/refunds", json={"amount_fen": 3000}, headers=hq_headers
    )
    assert res.status_code == 202
    with app.app_context():
        drain()
    state = sandbox_state(app)
    third = next(o for o in state.data["orders"].values() if o["transaction_id"] == tids[2])
    third["total_fee"] = 778  # WeChat's figure differs from the ledger's
    day = shanghai_day()
    to_bill_time(app, day)
    with app.app_context():
        assert reconciliation.reconcile(day).status == "differences"
    return day, tids
