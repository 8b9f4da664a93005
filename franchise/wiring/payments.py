"""Registration of the payments area: WeChat Pay, ledger, T+0 settlement, reconciliation.

Blueprints (pay and refund API, balance and statements API, the "Money" admin pages),
the pay-notify handler, outbox handlers (``franchise.profit_share``,
``franchise.refund``), the jobs (unpaid sweep every minute, statements closed at 00:10,
reconciliation at 10:30 Asia/Shanghai), ``flask franchise reconcile`` / ``close-day``,
an after-request hook that turns a refused notify (bad signature, bad XML) into an
Alert, and the demo seeder (``franchise.wiring.payments_seed``).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import cast

import click
from flask import Flask, request

from app.web.i18n import N_

log = logging.getLogger("siyu.franchise.payments")

DEFAULTS = {
    "FRANCHISE_PAY_FEE_RATE": "0.006",
    "FRANCHISE_UNPAID_QUERY_MINUTES": 5,
    "FRANCHISE_UNPAID_CLOSE_MINUTES": 30,
    "FRANCHISE_HQ_RECEIVER_ACCOUNT": "",
    "FRANCHISE_HQ_RECEIVER_NAME": "总部",
}


def _alert_refused_notify(response):
    """A notify the route refused before any handler saw it (HTTP 400: bad signature,
    bad XML, wrong appid / mch_id) leaves an Alert for HQ."""
    if request.endpoint != "pay_notify.pay_notify" or response.status_code != 400:
        return response
    import xmltodict

    from franchise.services import alerts

    try:
        reason = (xmltodict.parse(response.get_data(as_text=True)) or {})["xml"]["return_msg"]
    except Exception:  # noqa: BLE001 - the answer is ours; keep going whatever it is
        reason = "refused"
    alerts.record("pay_notify_refused", data={"reason": reason, "remote_addr": request.remote_addr})
    return response


def _commands():
    from franchise.cli import franchise_cli

    if "reconcile" in franchise_cli.commands:
        return

    @franchise_cli.command("reconcile")
    @click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]))
    def reconcile_command(day):
        """Compare WeChat's bill of a day (ready after 10:00 next day) with the ledger."""
        from franchise.services.reconciliation import reconcile

        run = reconcile(day.date())
        click.echo(
            f"{run.bill_date}: {run.status} — bill {run.bill_rows} row(s), "
            f"ledger {run.ledger_rows}, {len(run.items)} difference(s)"
            + (f"; {run.error}" if run.error else "")
        )
        for item in run.items:
            click.echo(
                f"  {item.kind}\t{item.transaction_id}\t{item.out_trade_no}\t"
                f"bill={item.bill_amount_fen}\tledger={item.ledger_amount_fen}"
            )

    @franchise_cli.command("close-day")
    @click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None)
    def close_day_command(day):
        """Snapshot a day's settlement statements (default yesterday); idempotent."""
        from franchise.services.settlement import close_day

        target: date | None = day.date() if day else None
        click.echo(f"{close_day(target)} statement(s) written")


def init_app(app: Flask) -> None:
    """Register the payments area on the app."""
    from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
    from app.extensions import add_nav, registry
    from app.extensions import api as openapi
    from app.outbox import register_handler
    from app.scheduler import register_job
    from app.wechat import add_pay_notify_handler
    from franchise.admin import alerts as admin_alerts
    from franchise.admin import settlement as admin_settlement
    from franchise.api import payments as api_payments
    from franchise.api import settlement as api_settlement
    from franchise.jobs import payments as jobs
    from franchise.services import payments, profit_share, refunds

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    openapi.register_blueprint(api_payments.blp)
    openapi.register_blueprint(api_settlement.blp)
    app.register_blueprint(admin_settlement.bp)
    app.register_blueprint(admin_alerts.bp)
    registry(app).dashboard.append(admin_alerts.overview_panels)
    add_pay_notify_handler(app, payments.handle_notify)
    app.after_request(_alert_refused_notify)
    register_handler(app, profit_share.PROFIT_SHARE_KIND, profit_share.run_profit_share)
    register_handler(app, refunds.REFUND_KIND, refunds.run_refund)
    register_job(
        app, "franchise.payments.sweep_unpaid", jobs.sweep_unpaid_job, "interval", minutes=1
    )
    register_job(
        app,
        "franchise.settlement.close_yesterday",
        jobs.close_yesterday_job,
        "cron",
        hour=0,
        minute=10,
        timezone="Asia/Shanghai",
    )
    register_job(
        app,
        "franchise.reconciliation.yesterday",
        jobs.reconcile_yesterday_job,
        "cron",
        hour=10,
        minute=30,
        timezone="Asia/Shanghai",
    )
    _commands()

    money = N_("Money")
    for order, (label, endpoint, roles, icon) in enumerate(
        [
            (N_("Settlement"), "payments_admin.settlement", ADMIN_UI_ROLES, "money"),
            (N_("Reconciliation"), "payments_admin.reconciliation", HQ_ROLES, "task"),
            (N_("Alerts"), "alerts_admin.alerts", ADMIN_UI_ROLES, "bell"),
            (N_("Ledger"), "payments_admin.ledger", HQ_ROLES, "ledger"),
        ]
    ):
        add_nav(app, "admin", money, label, endpoint, roles, icon=icon, order=400 + order)
    registry(app).seeders.append(seed_payments)


DEMO_PAID_ORDERS = 15


def seed_payments(app: Flask) -> list[str]:
    """~15 orders paid through the real flow (unified order at the sandbox, the
    customer pays, the notify posts the ledger) and one partial refund. Idempotent:
    does nothing when a payment at the sandbox exists (the commerce seeder's demo
    payments do not count) or customers / products are missing."""
    import random

    from sqlalchemy import select

    from app.errors import DomainError
    from app.extensions import db
    from app.wechat.sandbox import sandbox_state
    from franchise.models import Customer, Payment, Product
    from franchise.services import orders, payments, refunds

    with app.app_context():
        paid_at_sandbox = select(Payment.id).where(Payment.source != "demo").limit(1)
        if db.session.scalar(paid_at_sandbox) is not None:  # the commerce seeder's are demo
            return ["payments: already seeded"]
        customers = db.session.scalars(select(Customer).order_by(Customer.id).limit(100)).all()
        products = db.session.scalars(select(Product).where(Product.is_active.is_(True))).all()
        if not customers or not products or "siyu_sandbox" not in app.extensions:
            return ["payments: no customers, products or sandbox to pay with"]
        rng = random.Random(20261126)
        paid = []
        for _ in range(DEMO_PAID_ORDERS):
            customer = rng.choice(customers)
            items = [{"product_id": rng.choice(products).id, "quantity": 1}]
            try:
                order = orders.create_order(customer.id, items)
                answer = payments.start_payment(order)
                sandbox_state(app).succeed_order(answer["out_trade_no"])
            except (DomainError, KeyError, ValueError) as exc:
                db.session.rollback()
                log.warning("demo payment skipped: %s", exc)
                continue
            paid.append(order.id)
        lines = [f"payments: {len(paid)} orders paid through the sandbox"]
        if paid:
            from app.auth.models import HQ_ADMIN
            from app.auth.principal import Principal
            from franchise.models import Order

            order = cast(Order, db.session.get(Order, paid[0]))  # paid just now
            if order.paid_fen > 1:
                refund = refunds.request_refund(
                    order, order.paid_fen // 3, "演示：部分退款", Principal(HQ_ADMIN)
                )
                refunds.execute_refund(refund.id)
                lines.append("payments: 1 partial refund")
        return lines
