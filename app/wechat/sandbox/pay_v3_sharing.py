"""Sandbox APIv3 profit sharing for service providers (``/v3/profitsharing/...``).

The v2 rules (``pay_sharing``) hold, on the same records: an order shares only when it
was placed with ``settle_info.profit_sharing`` true; receivers are added first (per
sub-merchant); shares may not pass 30 % of the order; ``out_order_no`` is idempotent;
``unfreeze_unsplit`` true (or ``orders/unfreeze``) ends the order's sharing and gives
the rest to the sub-merchant. APIv3 adds return orders (分账回退: a merchant receiver
gives back at most what it got, 400 ``INVALID_REQUEST`` beyond) and receiver deletion.
The sandbox finishes every share at once (``state`` FINISHED, each receiver SUCCESS).
A receiver's ``name`` arrives RSA-OAEP encrypted with WeChat Pay's key (and the
``Wechatpay-Serial`` header); one that does not open is 400 ``PARAM_ERROR``.
"""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import request

from app.wechat.sandbox.blueprint import bp, state
from app.wechat.sandbox.pay_sharing import MAX_SHARE_PERCENT, new_share
from app.wechat.sandbox.pay_v3 import P3, _find
from app.wechat.sandbox.pay_v3_auth import answer, identity, rfc3339, v3_error, v3_request

RECEIVER_TYPES = ("MERCHANT_ID", "PERSONAL_OPENID", "PERSONAL_SUB_OPENID")


def _opens(ciphertext: str) -> bool:
    import base64

    try:
        identity().platform_key.decrypt(
            base64.b64decode(ciphertext),
            padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
        )
    except ValueError:
        return False
    return True


@bp.post(P3 + "profitsharing/receivers/add")
def v3_receiver_add():
    return add_receiver(v3_request("profitsharing/receivers/add"))


def add_receiver(data: dict):
    """添加分账接收方 to the sub-merchant's list (or the brand's: ``brand_mchid``)."""
    if data.get("type") not in RECEIVER_TYPES or not data.get("account"):
        return v3_error(400, "PARAM_ERROR", "分账接收方类型或账号错误")
    if not data.get("relation_type") or not (data.get("sub_mchid") or data.get("brand_mchid")):
        return v3_error(400, "PARAM_ERROR", "缺少参数 relation_type 或 sub_mchid")
    if data.get("name") and not _opens(str(data["name"])):
        return v3_error(400, "PARAM_ERROR", "name 解密失败,请使用微信支付公钥加密")
    st = state()
    with st.lock:
        key = f"{data.get('brand_mchid') or data['sub_mchid']}|{data['type']}|{data['account']}"
        st.data["receivers"][key] = {k: data.get(k) for k in ("type", "account", "relation_type")}
    keys = ("sub_mchid", "brand_mchid", "type", "account", "relation_type")
    return answer({k: data[k] for k in keys if k in data})


@bp.post(P3 + "profitsharing/receivers/delete")
def v3_receiver_delete():
    data = v3_request("profitsharing/receivers/delete")
    st = state()
    with st.lock:
        owner = data.get("brand_mchid") or data.get("sub_mchid")
        st.data["receivers"].pop(f"{owner}|{data.get('type')}|{data.get('account')}", None)
    return answer({k: data.get(k) for k in ("sub_mchid", "type", "account")})


def share_view(share: dict) -> dict:
    """A profit-sharing order as APIv3 shows it."""
    stamp = rfc3339(share["created_at"])
    return {
        "sub_mchid": share["sub_mch_id"],
        "transaction_id": share["transaction_id"],
        "out_order_no": share["out_order_no"],
        "order_id": share["order_id"],
        "state": share["status"],
        "receivers": [
            {
                "amount": r.get("amount"),
                "description": r.get("description", ""),
                "type": r.get("type"),
                "account": r.get("account"),
                "result": "SUCCESS",
                "detail_id": r.get("detail_id", ""),
                "create_time": stamp,
                "finish_time": stamp,
            }
            for r in share["receivers"]
        ],
    }


def _new_share(order: dict, out_order_no: str, receivers: list, amount: int, now: float) -> dict:
    """v2's share record with v3's detail ids per receiver and the amount returned."""
    share = new_share(order, out_order_no, receivers, amount, now)
    for receiver in share["receivers"]:
        receiver["detail_id"] = "36" + secrets.token_hex(13)
    return {**share, "returned": 0}


def _sharable(st, data: dict):
    """The paid, sharing, unfinished order of the request, or an error answer."""
    order = _find(st, "", str(data.get("transaction_id") or "-"))
    if order is None or order["sub_mch_id"] != data.get("sub_mchid"):
        return None, v3_error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
    if order["trade_state"] not in ("SUCCESS", "REFUND"):
        return None, v3_error(400, "INVALID_REQUEST", "订单未支付")
    if order.get("profit_sharing") != "Y":
        return None, v3_error(400, "INVALID_REQUEST", "订单不支持分账(下单时未设置profit_sharing)")
    if order["sharing"] == "FINISHED":
        return None, v3_error(400, "INVALID_REQUEST", "订单分账已完结")
    return order, None


@bp.post(P3 + "profitsharing/orders")
def v3_share():
    data = v3_request("profitsharing/orders")
    if not isinstance(data.get("unfreeze_unsplit"), bool):
        return v3_error(400, "PARAM_ERROR", "缺少参数 unfreeze_unsplit")
    return create_share(
        data, data["unfreeze_unsplit"], str(data.get("sub_mchid") or ""), MAX_SHARE_PERCENT * 100
    )


def create_share(data: dict, finish: bool, receivers_of: str, max_ratio_bps: int):
    """请求分账 for either product: ``receivers_of`` names whose receiver list applies
    (the sub-merchant's, or the brand's), ``max_ratio_bps`` the cap (万分比)."""
    out_order_no, receivers = data.get("out_order_no"), data.get("receivers")
    if not out_order_no or not isinstance(receivers, list) or not receivers:
        return v3_error(400, "PARAM_ERROR", "缺少参数 out_order_no 或 receivers")
    st = state()
    with st.lock:
        existing = st.data["shares"].get(out_order_no)
        if existing:
            if existing["transaction_id"] != data.get("transaction_id"):
                return v3_error(400, "INVALID_REQUEST", "商户分账单号重复")
            return answer(share_view(existing))
        order, error = _sharable(st, data)
        if error is not None:
            return error
        total = 0
        for r in receivers:
            if f"{receivers_of}|{r.get('type')}|{r.get('account')}" not in st.data["receivers"]:
                return v3_error(400, "INVALID_REQUEST", f"分账接收方 {r.get('account')} 未添加")
            amount = r.get("amount")
            if type(amount) is not int or amount <= 0:
                return v3_error(400, "PARAM_ERROR", "分账金额必须为正整数(分)")
            total += amount
        cap = order["total_fee"] * max_ratio_bps // 10000
        if order["shared_fee"] + total > cap:
            return v3_error(
                400, "INVALID_REQUEST", f"分账金额超出最大分账比例 {max_ratio_bps / 100:g}%"
            )
        share = _new_share(order, out_order_no, receivers, total, st.now())
        st.data["shares"][out_order_no] = share
        order["shared_fee"] += total
        order["sharing"] = "FINISHED" if finish else "FROZEN"
    return answer(share_view(share))


@bp.get(P3 + "profitsharing/orders/<out_order_no>")
def v3_share_query(out_order_no: str):
    v3_request("profitsharing/orders/query")
    return query_share(out_order_no)


def query_share(out_order_no: str):
    """查询分账结果 (``transaction_id`` and ``sub_mchid`` from the query string)."""
    st = state()
    with st.lock:
        share = st.data["shares"].get(out_order_no)
        if (
            share is None
            or share["transaction_id"] != request.args.get("transaction_id")
            or share["sub_mch_id"] != request.args.get("sub_mchid")
        ):
            return v3_error(404, "RESOURCE_NOT_EXISTS", "分账单不存在")
        return answer(share_view(share))


@bp.post(P3 + "profitsharing/orders/unfreeze")
def v3_unfreeze():
    return finish_share(v3_request("profitsharing/orders/unfreeze"))


def finish_share(data: dict):
    """解冻剩余资金 / 完结分账: the rest of the order to the sub-merchant."""
    if not data.get("out_order_no") or not data.get("description"):
        return v3_error(400, "PARAM_ERROR", "缺少参数 out_order_no 或 description")
    st = state()
    with st.lock:
        existing = st.data["shares"].get(data["out_order_no"])
        if existing:
            return answer(share_view(existing))
        order, error = _sharable(st, data)
        if error is not None:
            return error
        rest = order["total_fee"] - order["shared_fee"]
        to_self = {
            "type": "MERCHANT_ID",
            "account": order["sub_mch_id"],
            "amount": rest,
            "description": "解冻给分账方",
        }
        share = _new_share(order, data["out_order_no"], [to_self], rest, st.now())
        share["receivers"] = [{**share["receivers"][0]}]
        share["amount"] = rest
        st.data["shares"][data["out_order_no"]] = share
        order["sharing"] = "FINISHED"
    return answer(share_view(share))


@bp.post(P3 + "profitsharing/return-orders")
def v3_return():
    return return_share(v3_request("profitsharing/return-orders"))


def return_share(data: dict):
    """分账回退: a merchant receiver gives back at most what it got."""
    amount = data.get("amount")
    if not data.get("out_return_no") or not data.get("return_mchid") or type(amount) is not int:
        return v3_error(400, "PARAM_ERROR", "缺少参数 out_return_no、return_mchid 或 amount")
    st = state()
    with st.lock:
        share = st.data["shares"].get(str(data.get("out_order_no") or "")) or next(
            (x for x in st.data["shares"].values() if x["order_id"] == data.get("order_id")),
            None,
        )
        if share is None or share["sub_mch_id"] != data.get("sub_mchid"):
            return v3_error(404, "RESOURCE_NOT_EXISTS", "分账单不存在")
        got = sum(
            int(r.get("amount") or 0)
            for r in share["receivers"]
            if r.get("account") == data["return_mchid"]
        )
        returns = st.data.setdefault("share_returns", {})
        if data["out_return_no"] in returns:
            item = returns[data["out_return_no"]]
        elif amount <= 0 or share["returned"] + amount > got:
            return v3_error(400, "INVALID_REQUEST", "回退金额超过该接收方分得的金额")
        else:
            item = {
                "sub_mchid": share["sub_mch_id"],
                "order_id": share["order_id"],
                "out_order_no": share["out_order_no"],
                "out_return_no": data["out_return_no"],
                "return_id": "80" + secrets.token_hex(13),
                "return_mchid": data["return_mchid"],
                "amount": amount,
                "description": str(data.get("description") or ""),
                "result": "SUCCESS",
                "create_time": rfc3339(st.now()),
                "finish_time": rfc3339(st.now()),
            }
            returns[data["out_return_no"]] = item
            share["returned"] += amount
    return answer(item)
