"""WeChat misbehaving under outbox work: 45009 / FREQUENCY_LIMITED, HTTP 500 / 502,
SYSTEMERROR, calls slower than the client timeout, and expired access tokens (40014 /
42001). Faults are injected through the sandbox control API (``/_sandbox/control/faults``).

For each kind of outbox work (a day's group-send batches, HQ's profit share, a refund) and
for the unpaid-order close, the work is retried with back-off until it succeeds and the
final state is exact: every batch one msgid and every group one message, the share and the
refund carried out once at the sandbox and posted once in the ledger. The back-off is
skipped the way the other outbox tests do it: ``available_at`` moved to now.

Timeouts need real HTTP (the in-process sandbox adapter ignores the client timeout): those
tests point the clients at the live test server and lower the ``WECHAT_HTTP_TIMEOUT``
setting (``SIYU_WECHAT_HTTP_TIMEOUT``) to one second, with a sandbox delay of 2.5 s.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import outbox
from app.auth.models import HQ_ADMIN
from app.auth.principal import Principal
from app.clock import shanghai_day, utcnow
from app.extensions import db, get_redis
from community.models import GroupDelivery, SendBatch
from community.services import allocation, delivery
from franchise.jobs.payments import sweep_unpaid
from franchise.models import LedgerEntry, Order, OrderEvent, ProfitShare, Refund
from franchise.services import refunds
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.community.factories_groups import build_org
from tests.franchise.factories_payments import (
    gen_customer,
    gen_order,
    new_customer_order,
    pay,
    pay_and_succeed,
)

SEND_API = "externalcontact/add_msg_template"
TIMEOUT = 1
SLOW = 2.5


@pytest.fixture
def sandbox(app):
    from app.wechat.sandbox import sandbox_state

    state = sandbox_state(app)
    yield state
    state.faults.clear()


@pytest.fixture
def org(app):
    with app.app_context():
        return build_org()


@pytest.fixture
def over_http(app, live_server, monkeypatch):
    """Clients reach the sandbox over real HTTP with a one-second timeout."""
    monkeypatch.setitem(app.config, "SANDBOX_URL", live_server)
    monkeypatch.setitem(app.config, "WECHAT_HTTP_TIMEOUT", TIMEOUT)
    return live_server


# A v2 API's name and error code as the same fault reads under APIv3 (the emulator's v3
# routes take faults by their v3 path; v3 spells the system error SYSTEM_ERROR).
V3_NAMES = {
    "pay/profitsharingaddreceiver": "profitsharing/receivers/add",
    "secapi/pay/profitsharing": "profitsharing/orders",
    "secapi/pay/refund": "refund/domestic/refunds",
    "pay/orderquery": "transactions/out-trade-no",
    "pay/closeorder": "transactions/close",
}


def fault(client, api: str, count: int = 1, **kind) -> None:
    if client.application.config["PAY_API"] == "v3" and api in V3_NAMES:
        api = V3_NAMES[api]
        if kind.get("errcode") == "SYSTEMERROR":
            kind["errcode"] = "SYSTEM_ERROR"
    answer = client.post("/_sandbox/control/faults", json={"api": api, "count": count, **kind})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def outbox_rows() -> list:
    db.session.expire_all()
    return db.session.scalars(select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id)).all()


def make_due() -> None:
    """Skip the back-off: every pending row due now, the shared WeCom throttle lifted."""
    db.session.execute(
        update(outbox.OutboxMessage)
        .where(outbox.OutboxMessage.status == outbox.PENDING)
        .values(available_at=utcnow())
    )
    db.session.commit()
    get_redis().delete(delivery.THROTTLE_KEY)


def drain_until_done(rounds: int = 8, pause: float = 0.0) -> list:
    """Drain, skip the back-off, again — until every row is done (or dead)."""
    for _ in range(rounds):
        outbox.drain()
        rows = outbox_rows()
        if all(r.status in (outbox.DONE, outbox.DEAD) for r in rows):
            return rows
        time.sleep(pause)
        make_due()
    return outbox_rows()


def backing_off(row, at_least: float) -> bool:
    ahead = row.available_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
    return row.status == outbox.PENDING and ahead >= timedelta(seconds=at_least)


# --- a day's group sends ---------------------------------------------------------------


def day_of_batches(org, sandbox, per_guide: int = 2) -> tuple:
    """Ann, Amy and Bob with ``per_guide`` groups each (DB + sandbox), one post allocated
    today and cut into one batch per sender."""
    from franchise.models import Guide

    guides = [db.session.get(Guide, g) for g in (org.ga, org.ga2, org.gb)]
    groups = [gen_wgroup(g, sandbox=sandbox) for g in guides for _ in range(per_guide)]
    gen_plan(gen_post(title="保养提醒", text="金饰保养小知识"))
    day = shanghai_day()
    allocation.allocate(day)
    assert delivery.create_batches(day)["batches"] == len(guides)
    return day, [g.chat_id for g in groups]


def confirm_all_and_count(client, sandbox) -> list[str]:
    """The guides confirm every task WeCom holds; the chat ids that received a message."""
    for msgid in list(sandbox.data["tasks"]):
        assert client.post(f"/_sandbox/control/tasks/{msgid}/confirm").status_code == 200
    received = []
    for msgid in list(sandbox.data["tasks"]):
        results = client.get(f"/_sandbox/control/tasks/{msgid}").get_json()["results"]
        received += [chat for chat, r in results.items() if r["status"] == 1]
    return received


def assert_each_batch_one_msgid(chat_ids: list[str], sandbox) -> set[str]:
    batches = db.session.scalars(select(SendBatch)).all()
    msgids = {b.msgid for b in batches}
    assert all(b.msgid for b in batches) and len(msgids) == len(batches)
    in_recorded = [c for m in msgids for c in sandbox.data["tasks"][m]["results"]]
    assert sorted(in_recorded) == sorted(chat_ids)  # each group in exactly one task
    return msgids


def test_group_sends_survive_45009_5xx_and_expired_tokens(app, client, org, sandbox):
    with app.app_context():
        day, chat_ids = day_of_batches(org, sandbox)
    fault(client, SEND_API, errcode=45009)
    fault(client, SEND_API, http_status=500)
    fault(client, SEND_API, http_status=502)
    fault(client, SEND_API, errcode=40014)
    with app.app_context():
        # 1: the first call gets 45009; the two others do not call WeCom (shared throttle)
        assert outbox.drain() == 3
        rows = outbox_rows()
        assert all(backing_off(r, 55) for r in rows)
        assert "45009" in rows[0].last_error and sandbox.data["tasks"] == {}
        assert outbox.drain() == 0  # nobody retries before the back-off
        # 2: 500 and 502 retried later; the refused token is refreshed and the call made
        make_due()
        assert outbox.drain() == 3
        rows = outbox_rows()
        assert [r.status for r in rows] == ["pending", "pending", "done"]
        assert "HTTP 500" in rows[0].last_error and "HTTP 502" in rows[1].last_error
        assert backing_off(rows[0], 25) and backing_off(rows[1], 25)
        assert len(sandbox.data["tasks"]) == 1
        # 3: two hours pass: the cached token has expired at WeCom (42001) and is refreshed
        sandbox.advance(clients_token_ttl(app) + 60)
        make_due()
        rows = drain_until_done()
        assert {r.status for r in rows} == {"done"}
        assert sorted(r.attempts for r in rows) == [2, 3, 3]
        tokens = [t for t in sandbox.data["tokens"].values() if t["kind"] == "wecom"]
        assert len(tokens) == 3  # the first, after 40014, after 42001: one refresh each
        msgids = assert_each_batch_one_msgid(chat_ids, sandbox)
        assert set(sandbox.data["tasks"]) == msgids  # no task nobody recorded
    received = confirm_all_and_count(client, sandbox)
    assert sorted(received) == sorted(chat_ids)  # one message per group, none missing
    with app.app_context():
        assert delivery.read_back(day)["confirmed"] == 3
        statuses = db.session.scalars(select(GroupDelivery.status)).all()
        assert sorted(statuses) == ["sent"] * len(chat_ids)


def clients_token_ttl(app) -> int:
    return int(app.config.get("SANDBOX_TOKEN_TTL", 7200))


def test_group_send_timeout_is_retried_and_no_group_gets_two_messages(
    app, client, org, sandbox, over_http
):
    """A call slower than the timeout is retried. WeCom carried the slow call out anyway
    and has no idempotency key, so the retry first looks for that task
    (``get_groupmsg_list_v2``) and adopts its msgid: no second task, one message a group."""
    with app.app_context():
        day, chat_ids = day_of_batches(org, sandbox, per_guide=1)
    fault(client, SEND_API, delay_seconds=SLOW)
    with app.app_context():
        assert outbox.drain() == 3
        rows = outbox_rows()
        assert [r.status for r in rows] == ["pending", "done", "done"]
        assert "Timeout" in rows[0].last_error and backing_off(rows[0], 25)
        time.sleep(SLOW)  # the slow call finishes at WeCom meanwhile
        rows = drain_until_done()
        assert {r.status for r in rows} == {"done"} and rows[0].attempts == 2
        msgids = assert_each_batch_one_msgid(chat_ids, sandbox)
        assert set(sandbox.data["tasks"]) == msgids  # the slow call's task was adopted
    received = confirm_all_and_count(client, sandbox)
    assert sorted(received) == sorted(chat_ids)  # one message per group


def rows_chat_ids(row) -> list[str]:
    return db.session.get(SendBatch, row.payload["batch_id"]).chat_ids


# --- money: profit share, refund, unpaid close ----------------------------------------


def paid_order_with_refund(app, client, org, refund_fen: int = 3000) -> tuple:
    """An order of 100.00 yuan paid through the sandbox (HQ share 10 %: a profit-share
    outbox row) and a partial refund requested (a refund outbox row)."""
    ids = new_customer_order(app, org.fa, 10000)
    pay_and_succeed(client, *ids, app)
    with app.app_context():
        order = db.session.get(Order, ids[0])
        refund = refunds.request_refund(order, refund_fen, "尺寸不合", Principal(HQ_ADMIN))
        return ids[0], refund.id, order.out_trade_no


def assert_money_done_once(app, sandbox, order_id: int, refund_id: int, refund_fen: int):
    with app.app_context():
        rows = outbox_rows()
        assert [r.kind for r in rows] == ["franchise.profit_share", "franchise.refund"]
        assert {r.status for r in rows} == {"done"}
        share = db.session.scalars(select(ProfitShare)).one()
        assert share.status == "done" and share.wechat_order_id
        refund = db.session.get(Refund, refund_id)
        assert refund.status == "succeeded" and refund.refund_id
        order = db.session.get(Order, order_id)
        assert order.refunded_fen == refund_fen and order.status == "paid"
        at_wechat = sandbox.data["orders"][order.out_trade_no]
        assert list(sandbox.data["shares"]) == [share.out_order_no]
        assert at_wechat["shared_fee"] == share.amount_fen == 1000
        assert list(sandbox.data["refunds"]) == [refund.out_refund_no]
        assert at_wechat["refunded_fee"] == refund_fen  # refunded once
        refund_events = db.session.scalar(
            select(func.count())
            .select_from(OrderEvent)
            .where(OrderEvent.order_id == order_id, OrderEvent.note.like("refund %"))
        )
        assert refund_events == 1  # posted once here too
        debit, credit = db.session.execute(
            select(func.sum(LedgerEntry.debit_fen), func.sum(LedgerEntry.credit_fen))
        ).one()
        assert debit == credit
        return rows


def test_profit_share_and_refund_survive_rate_limits_and_5xx(app, client, org, sandbox, pay_api):
    order_id, refund_id, _ = paid_order_with_refund(app, client, org)
    fault(client, "pay/profitsharingaddreceiver", http_status=502)
    fault(client, "secapi/pay/profitsharing", errcode="FREQUENCY_LIMITED")
    fault(client, "secapi/pay/profitsharing", errcode="SYSTEMERROR")
    fault(client, "secapi/pay/refund", http_status=500)
    fault(client, "secapi/pay/refund", errcode="FREQUENCY_LIMITED")
    fault(client, "secapi/pay/refund", errcode="SYSTEMERROR")
    with app.app_context():
        assert outbox.drain() == 2
        share_row, refund_row = outbox_rows()
        assert "HTTP 502" in share_row.last_error and backing_off(share_row, 25)
        assert "HTTP 500" in refund_row.last_error and backing_off(refund_row, 25)
        make_due()
        outbox.drain()
        share_row, refund_row = outbox_rows()
        assert "rate limited" in share_row.last_error and backing_off(share_row, 55)
        assert "rate limited" in refund_row.last_error and backing_off(refund_row, 55)
        assert sandbox.data["shares"] == {} and sandbox.data["refunds"] == {}
        drain_until_done()
    rows = assert_money_done_once(app, sandbox, order_id, refund_id, 3000)
    assert [r.attempts for r in rows] == [4, 4]


def test_profit_share_and_refund_timeouts_are_carried_out_once(
    app, client, org, sandbox, over_http, pay_api
):
    """The slow calls time out here but WeChat carries them out; the retries send the
    same ``out_order_no`` / ``out_refund_no`` and WeChat answers the first result."""
    order_id, refund_id, _ = paid_order_with_refund(app, client, org)
    fault(client, "secapi/pay/profitsharing", delay_seconds=SLOW)
    fault(client, "secapi/pay/refund", delay_seconds=SLOW)
    with app.app_context():
        assert outbox.drain() == 2
        for row in outbox_rows():
            assert "Timeout" in row.last_error and backing_off(row, 25)
        time.sleep(SLOW)
        drain_until_done()
    rows = assert_money_done_once(app, sandbox, order_id, refund_id, 3000)
    assert [r.attempts for r in rows] == [2, 2]


def test_unpaid_close_survives_5xx_and_system_errors(app, client, org, sandbox, pay_api):
    with app.app_context():
        customer = gen_customer(org.fa)
        ids = gen_order(customer, 5000).id, customer.id
    out_trade_no = pay(client, *ids, app)["out_trade_no"]
    with app.app_context():
        order = db.session.get(Order, ids[0])
        order.created_at = utcnow() - timedelta(minutes=45)
        db.session.commit()
    sandbox.data["orders"][out_trade_no]["created_at"] -= 45 * 60  # WeChat's copy as old
    fault(client, "pay/orderquery", http_status=502)
    fault(client, "pay/closeorder", errcode="SYSTEMERROR")
    fault(client, "pay/closeorder", http_status=500)
    with app.app_context():
        assert sweep_unpaid()["errors"] == 1  # orderquery 502
        assert sweep_unpaid()["errors"] == 1  # closeorder SYSTEMERROR
        assert sweep_unpaid()["errors"] == 1  # closeorder 500
        assert db.session.get(Order, ids[0]).status == "created"
        assert sweep_unpaid() == {"checked": 1, "paid": 0, "closed": 1, "errors": 0}
        assert sweep_unpaid()["checked"] == 0
        db.session.expire_all()
        assert db.session.get(Order, ids[0]).status == "closed"
        closed = db.session.scalar(
            select(func.count())
            .select_from(OrderEvent)
            .where(OrderEvent.order_id == ids[0], OrderEvent.to_status == "closed")
        )
        assert closed == 1
    assert sandbox.data["orders"][out_trade_no]["trade_state"] == "CLOSED"


def test_token_refused_twice_in_a_row_is_retried_not_lost(app, client, org, sandbox):
    with app.app_context():
        day_of_batches(org, sandbox, per_guide=1)
    fault(client, SEND_API, count=2, errcode=42001)
    with app.app_context():
        rows = drain_until_done()
        assert {r.status for r in rows} == {"done"}
        assert all(b.msgid for b in db.session.scalars(select(SendBatch)))
