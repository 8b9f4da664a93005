"""Link checks: is every line-up product sellable and payable in each participating store?

``request_link_check`` writes one pending ``LinkCheckRun`` per store and an outbox message
per run in the same transaction; after the commit the dispatcher runs ``run_link_check``,
which checks each line-up product (problem codes below) and, for the products that passed
every other check, places ONE dry-run unified order against WeChat Pay for the store's
franchisee (the sub-merchant). WeChat refuses ``closeorder`` within 5 minutes of the
order (关闭订单: 最短调用时间间隔为5分钟), so each dry-run order is closed by its own
outbox message (``CLOSE_KIND``) ``CLOSE_DELAY`` seconds later, enqueued in the commit that
records the run. No transaction stays open while WeChat is called.

Problem codes: ``inactive`` (product switched off), ``unpriced`` (list or live price not
positive), ``out_of_stock`` (stock below 1), ``cap_reached`` (the live stock cap is used up
by the campaign's non-cancelled orders), ``coupon_invalid`` (the line-up coupon template is
inactive or its validity ends before the live), ``not_payable`` (the dry-run order was
refused; its errcode is in ``detail``).
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from app.auth.principal import current_principal
from app.db import committing
from app.errors import Conflict, NotFound
from app.extensions import db
from app.outbox import RetryLater, enqueue
from app.wechat import pay
from app.wechat.errors import WeChatAPIError, WeChatError, as_retry_later
from franchise.models import Franchisee
from franchise.services.base import invalid
from livestream.models import Campaign, CampaignStore, LineupItem, LinkCheckRun
from livestream.models.campaigns import OVER

log = logging.getLogger("siyu.livestream")

KIND = "livestream.link_check"
CLOSE_KIND = "livestream.link_check_close"
CLOSE_DELAY = 360  # WeChat's 5 minutes before a close, and a margin
PENDING, DONE = "pending", "done"
INACTIVE, UNPRICED, OUT_OF_STOCK = "inactive", "unpriced", "out_of_stock"
CAP_REACHED, COUPON_INVALID, NOT_PAYABLE = "cap_reached", "coupon_invalid", "not_payable"
PROBLEM_CODES = (INACTIVE, UNPRICED, OUT_OF_STOCK, CAP_REACHED, COUPON_INVALID, NOT_PAYABLE)
# WeChat answers on a retried dry run whose order an earlier attempt already created/closed
ALREADY_DONE_CODES = ("ORDERCLOSED",)


def request_link_check(
    campaign_id: int, store_id: int | None = None, user_id: int | None = None
) -> list[LinkCheckRun]:
    """Queue a link check for every participating store (or the one named); commits.

    A store whose last run is still pending keeps that run (no second one is queued).
    """
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Campaign not found")
    if campaign.status in OVER:
        raise Conflict("This campaign is over; there is nothing to check.")
    members = list(campaign.stores)
    if store_id is not None:
        members = [m for m in members if m.store_id == store_id]
        if not members:
            raise invalid("store_id", "This store does not take part in the campaign.")
    if not members:
        raise invalid("store_id", "The campaign has no participating stores.")
    latest = latest_runs(campaign.id)
    runs, new_runs = [], []
    for member in members:
        previous = latest.get(member.store_id)
        if previous is not None and previous.status == PENDING:
            runs.append(previous)
            continue
        run = LinkCheckRun(
            campaign_id=campaign.id,
            store_id=member.store_id,
            franchisee_id=member.franchisee_id,
            status=PENDING,
            passed=False,
            results=[],
            run_by=user_id,
        )
        db.session.add(run)
        runs.append(run)
        new_runs.append(run)
    with committing(db.session):
        db.session.flush()
        for run in new_runs:
            enqueue(KIND, {"run_id": run.id}, f"linkcheck:{run.id}")
    return runs


def latest_runs(campaign_id: int) -> dict[int, LinkCheckRun]:
    """The newest run of each store of the campaign: ``{store_id: LinkCheckRun}``."""
    newest = (
        select(func.max(LinkCheckRun.id))
        .where(LinkCheckRun.campaign_id == campaign_id)
        .group_by(LinkCheckRun.store_id)
    )
    runs = db.session.scalars(select(LinkCheckRun).where(LinkCheckRun.id.in_(newest)))
    return {run.store_id: run for run in runs}


def item_problems(item: LineupItem, campaign: Campaign) -> list[str]:
    """The problem codes of one line-up item found without calling WeChat."""
    product = item.product
    problems = []
    if not product.is_active:
        problems.append(INACTIVE)
    if product.price_fen <= 0 or item.live_price_fen <= 0:
        problems.append(UNPRICED)
    if product.stock < 1:
        problems.append(OUT_OF_STOCK)
    if item.stock_cap and item.sold >= item.stock_cap:
        problems.append(CAP_REACHED)
    template = item.coupon_template
    if template is not None and (
        not template.is_active
        or (template.valid_until is not None and template.valid_until < campaign.live_at)
    ):
        problems.append(COUPON_INVALID)
    return problems


def dry_run_trade_no(run_id: int, product_id: int) -> str:
    """The out_trade_no of a dry-run order (6..32 characters, as WeChat Pay requires)."""
    return f"LC{run_id:06d}P{product_id}"[:32]


def dry_run(sub_mch_id: str, run_id: int, store_id: int, product_id: int, fee: int, name: str):
    """One dry-run unified order (closed later by ``close_dry_run``): ``None`` when
    payable, else the errcode. Transport failures and rate limits raise ``RetryLater``.
    """
    try:
        pay.create_jsapi_order(
            sub_mch_id=sub_mch_id,
            out_trade_no=dry_run_trade_no(run_id, product_id),
            total_fee=fee,
            body=f"链路检测 {name}",
            openid=f"linkcheck-{store_id}",
        )
    except WeChatAPIError as exc:
        if str(exc.errcode) in ALREADY_DONE_CODES:  # an earlier attempt got this far
            return None
        return str(exc.errcode or "error")
    except WeChatError as exc:
        raise as_retry_later(exc) or RetryLater(str(exc)) from exc
    return None


def close_dry_run(message) -> None:
    """Outbox handler for ``CLOSE_KIND``: close one dry-run order. Closed, paid or unknown
    at WeChat is done; SYSTEMERROR (also WeChat's answer within its 5 minutes), an outage
    or a rate limit is tried again later."""
    data = message.payload or {}
    db.session.rollback()
    try:
        pay.close_order(data["sub_mch_id"], data["out_trade_no"])
    except WeChatAPIError as exc:
        if str(exc.errcode) not in ("ORDERCLOSED", "ORDERNOTEXIST", "ORDERPAID"):
            log.warning("link check close %s refused: %s", data["out_trade_no"], exc)
    except WeChatError as exc:
        raise as_retry_later(exc) or RetryLater(str(exc)) from exc


def run_link_check(message) -> dict | None:
    """Outbox handler for ``livestream.link_check``: check one run's store and record it."""
    run_id = (message.payload or {}).get("run_id")
    run = db.session.get(LinkCheckRun, run_id) if isinstance(run_id, int) else None
    if run is None or run.status == DONE:
        db.session.rollback()
        return None
    assert isinstance(run_id, int)  # a run was found by it
    campaign = db.session.get(Campaign, run.campaign_id)
    franchisee = db.session.get(Franchisee, run.franchisee_id)
    assert campaign is not None and franchisee is not None  # the run's (foreign keys)
    entries = []
    for item in campaign.lineup:
        product = item.product
        entries.append(
            {
                "product_id": product.id,
                "sku": product.sku,
                "name": product.name,
                "ok": True,
                "problems": item_problems(item, campaign),
                "detail": "",
                "_fee": item.live_price_fen,
            }
        )
    sub_mch_id, store_id = franchisee.sub_mch_id, run.store_id
    db.session.commit()  # end the read transaction before calling WeChat
    for entry in entries:
        fee = entry.pop("_fee")
        if entry["problems"]:
            continue
        errcode = dry_run(sub_mch_id, run_id, store_id, entry["product_id"], fee, entry["name"])
        if errcode is not None:
            entry["problems"].append(NOT_PAYABLE)
            entry["detail"] = errcode
    for entry in entries:
        entry["ok"] = not entry["problems"]
    run = db.session.get(LinkCheckRun, run_id)
    if run is None or run.status == DONE:
        db.session.rollback()
        return None
    run.results = entries
    run.passed = all(entry["ok"] for entry in entries)
    run.status = DONE
    with committing(db.session):
        for entry in entries:
            if entry["problems"]:
                continue  # no dry-run order was made, or WeChat refused it
            out_trade_no = dry_run_trade_no(run_id, entry["product_id"])
            enqueue(
                CLOSE_KIND,
                {"sub_mch_id": sub_mch_id, "out_trade_no": out_trade_no},
                f"linkcheck-close:{out_trade_no}",
                delay_seconds=CLOSE_DELAY,
            )
    return {"run_id": run_id, "passed": run.passed}


def failing_products(run: LinkCheckRun | None) -> list[dict]:
    """The entries of a finished run that did not pass."""
    if run is None or run.status != DONE:
        return []
    return [entry for entry in run.results or [] if not entry.get("ok")]


def participating_store_ids(campaign_id: int) -> list[int]:
    """The store ids taking part in the campaign."""
    return list(
        db.session.scalars(
            select(CampaignStore.store_id)
            .where(CampaignStore.campaign_id == campaign_id)
            .order_by(CampaignStore.id)
        )
    )


def visible_runs(campaign_id: int, principal=None) -> list[LinkCheckRun]:
    """The latest run per store the caller may see (owners: their stores), in store order."""
    principal = principal or current_principal()
    runs = latest_runs(campaign_id)
    items = [runs[s] for s in participating_store_ids(campaign_id) if s in runs]
    if principal is not None and not principal.is_hq:
        items = [r for r in items if r.franchisee_id == principal.franchisee_id]
    return items
