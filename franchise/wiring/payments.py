"""Registration of the payments area: WeChat Pay, ledger, T+0 settlement, reconciliation.

Settings defaults, blueprints (pay and refund API, balance and statements API, the
"Money" admin pages), the alerts dashboard panel, the jobs (unpaid sweep every minute,
statements closed at 00:10, reconciliation at 10:30 Asia/Shanghai), outbox handlers
(``franchise.profit_share``, ``franchise.refund``), an after-request hook on the notify
route only that turns a refused notify (bad signature, bad XML) into an Alert, the
pay-notify handler, the APIv3 refund-notify listener and the demo payments
(``franchise.demo.payments``). Its commands (``flask franchise reconcile``,
``close-day``) are in ``franchise.cli``.
"""

from __future__ import annotations

from flask import Flask

from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.extensions import register_area
from app.outbox import register_handler
from app.scheduler import register_job
from app.web.dashboard import add_dashboard
from app.web.i18n import N_
from app.wechat import add_pay_notify_handler
from franchise.jobs.paid_followups import ORDER_PAID, run_paid_followups

MONEY = N_("Money")
# (group, label, endpoint, roles, icon, order)
ADMIN_NAV = (
    (MONEY, N_("Settlement"), "payments_admin.settlement", ADMIN_UI_ROLES, "money", 400),
    (MONEY, N_("Reconciliation"), "payments_admin.reconciliation", HQ_ROLES, "task", 401),
    (MONEY, N_("Alerts"), "alerts_admin.alerts", ADMIN_UI_ROLES, "bell", 402),
    (MONEY, N_("Ledger"), "payments_admin.ledger", HQ_ROLES, "ledger", 403),
    (MONEY, N_("My reconciliation"), "owner_reconciliation.page", ADMIN_UI_ROLES, "task", 404),
)


def register(app: Flask) -> None:
    """Register the payments area on the app."""
    from app.wechat.pay_notify import after_notify
    from app.wechat.pay_v3_notify import REFUND_NOTIFY
    from franchise.admin import alerts as admin_alerts
    from franchise.admin import attention
    from franchise.admin import owner_reconciliation as admin_owner_reconciliation
    from franchise.admin import reconciliation_run as admin_reconciliation
    from franchise.admin import settlement as admin_settlement
    from franchise.api import owner_reconciliation as api_owner_reconciliation
    from franchise.api import payments as api_payments
    from franchise.api import reconciliation as api_reconciliation
    from franchise.api import settlement as api_settlement
    from franchise.demo.bills import seed_bills
    from franchise.demo.payments import seed_payments
    from franchise.jobs import payments as jobs
    from franchise.services import (
        alerts,
        assignment,
        payments,
        profit_share,
        refund_notify,
        refunds,
    )

    register_area(
        app,
        (
            api_payments,
            api_settlement,
            api_reconciliation,
            api_owner_reconciliation,
            admin_reconciliation,
            admin_settlement,
            admin_alerts,
            admin_owner_reconciliation,
        ),
        navs={"admin": ADMIN_NAV},
        hooks=(
            (REFUND_NOTIFY, refund_notify.handle_refund_notify),
            (ORDER_PAID, assignment.extend_binding_on_paid),
        ),
        seeders=(seed_payments, seed_bills),
    )
    after_notify(app, alerts.alert_refused_notify)  # the notify route only, not app-wide
    add_dashboard(app, attention.ALERTS)
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
    register_handler(app, profit_share.PROFIT_SHARE_KIND, profit_share.run_profit_share)
    register_handler(app, refunds.REFUND_KIND, refunds.run_refund)
    add_pay_notify_handler(app, payments.handle_notify)
    register_job(app, "franchise.paid_followups", run_paid_followups, "interval", minutes=1)
