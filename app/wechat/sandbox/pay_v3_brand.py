"""Sandbox 连锁品牌分账 (``/v3/brand/profitsharing/...``): profit sharing for a chain brand.

Where it differs from the service provider's ordinary sharing (``pay_v3_sharing``, whose
rules and records it shares): every call names the brand (``brand_mchid``); receivers are
the brand's list, added once for all its stores; a share says ``finish`` (true: the rest
goes back to the store) instead of ``unfreeze_unsplit``; the cap is the brand's own
最大分账比例 (``brand-configs/{brand_mchid}`` → ``max_ratio`` in 万分比; the sandbox's
brands allow 2000, 20 %, the docs' example) instead of the sub-merchant's 30 %; the
result is queried with ``GET /v3/brand/profitsharing/orders?sub_mchid&transaction_id&
out_order_no``; a return is ``returnorders``, the end ``finish-order``.
"""

from __future__ import annotations

from flask import request

from app.wechat.sandbox.blueprint import bp
from app.wechat.sandbox.pay_v3 import P3
from app.wechat.sandbox.pay_v3_auth import answer, v3_error, v3_request
from app.wechat.sandbox.pay_v3_sharing import (
    add_receiver,
    create_share,
    finish_share,
    query_share,
    return_share,
)

BRAND_MAX_RATIO = 2000  # 万分比


@bp.get(P3 + "brand/profitsharing/brand-configs/<brand_mchid>")
def brand_config(brand_mchid: str):
    v3_request("brand/profitsharing/brand-configs")
    return answer({"brand_mchid": brand_mchid, "max_ratio": BRAND_MAX_RATIO})


@bp.post(P3 + "brand/profitsharing/receivers/add")
def brand_receiver_add():
    data = v3_request("brand/profitsharing/receivers/add")
    if not data.get("brand_mchid"):
        return v3_error(400, "PARAM_ERROR", "缺少参数 brand_mchid")
    return add_receiver(data)


@bp.post(P3 + "brand/profitsharing/orders")
def brand_share():
    data = v3_request("brand/profitsharing/orders")
    if not data.get("brand_mchid") or not isinstance(data.get("finish"), bool):
        return v3_error(400, "PARAM_ERROR", "缺少参数 brand_mchid 或 finish")
    return create_share(data, data["finish"], data["brand_mchid"], BRAND_MAX_RATIO)


@bp.get(P3 + "brand/profitsharing/orders")
def brand_share_query():
    v3_request("brand/profitsharing/orders/query")
    return query_share(request.args.get("out_order_no", ""))


@bp.post(P3 + "brand/profitsharing/returnorders")
def brand_return():
    return return_share(v3_request("brand/profitsharing/returnorders"))


@bp.post(P3 + "brand/profitsharing/finish-order")
def brand_finish():
    return finish_share(v3_request("brand/profitsharing/finish-order"))
