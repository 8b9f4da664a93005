"""The "Money" admin pages (``/admin/...``): settlement, statements, reconciliation,
the trial balance, and the refund form's target (alerts: ``franchise.admin.alerts``).

* ``/admin/settlement``: per franchisee the available balance and today's live totals;
  a franchisee and day picker; 30 days of net per day (chart) and the daily history;
  CSV of a day's statement (``/admin/settlement/<fid>/<date>?format=csv``).
* ``/admin/settlement/<fid>/<date>``: one day's statement with its lines.
* ``/admin/reconciliation`` (HQ): runs and their differences.
* ``/admin/ledger`` (HQ): Σ debits and Σ credits per account kind.
* ``POST /admin/orders/<id>/refund``: the refund form on the order page.

HQ sees every franchise, an owner only theirs (another's answers 404); guides 403.
Views never commit: services do.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.clock import shanghai_day
from app.errors import DomainError, NotFound
from app.extensions import db
from app.web.form_input import FormInvalid, load_form
from app.web.listing import Column, csv_response, filter_args, paginate
from franchise.admin.reconciliation_run import schedule_box
from franchise.api.payments import RefundFormSchema
from franchise.api.settlement import StatementQuerySchema
from franchise.models import Franchisee, Order, ReconciliationItem, ReconciliationRun
from franchise.services import ledger, refunds, settlement

bp = Blueprint("payments_admin", __name__, url_prefix="/admin", template_folder="../templates")

KIND_LABELS = {
    "payment": _l("Payment"),
    "refund": _l("Refund"),
    "missing_in_ledger": _l("In the bill, not in the ledger"),
    "missing_in_bill": _l("In the ledger, not in the bill"),
    "amount": _l("Amounts differ"),
    "wallet": _l("Franchisee wallet"),
    "sales": _l("Sales"),
    "wechat_fee": _l("WeChat Pay fees"),
    "hq_share": _l("HQ share"),
    "old_gold": _l("Old gold taken in"),  # trade-ins credited or paid out (issue 19)
}


def kind_label(kind: str):
    return KIND_LABELS.get(kind, kind)


def visible_franchisees() -> list[Franchisee]:
    return list(db.session.scalars(scoped(select(Franchisee), Franchisee).order_by(Franchisee.id)))


def picked_franchisee() -> tuple[list[Franchisee], Franchisee | None]:
    """The viewer's franchisees (an owner: theirs; HQ: all) and the one a money page shows:
    ``?franchisee_id`` when it is one of them, else the first (None when there are none)."""
    franchisees = visible_franchisees()
    wanted = request.args.get("franchisee_id", type=int)
    chosen = next((f for f in franchisees if f.id == wanted), None)
    return franchisees, chosen or (franchisees[0] if franchisees else None)


def line_columns():
    return [
        Column("time", _l("Time"), time=True),
        Column("kind", _l("Type"), value=lambda r: kind_label(r["kind"])),
        Column("order_no", _l("Order number")),
        Column("transaction_id", _l("WeChat transaction")),
        Column("amount_fen", _l("Amount"), money=True),
        Column("fee_fen", _l("WeChat Pay fee"), money=True),
        Column("hq_share_fen", _l("HQ share"), money=True),
        Column("net_fen", _l("Net"), money=True),
    ]


@bp.route("/settlement", endpoint="settlement")
@page_roles(*ADMIN_UI_ROLES)
def settlement_page():
    """Balances of the visible franchisees, and one franchisee's day and 30-day history."""
    franchisees, chosen = picked_franchisee()
    selected = chosen.id if chosen else None
    day = filter_args(StatementQuerySchema).get("date") or shanghai_day()  # the API's query
    statement = history = None
    if selected is not None:
        statement = settlement.statement(selected, day)
        history = settlement.history(selected, 30)
    return render_template(
        "franchise/payments/settlement.html",
        overview=settlement.franchisee_overview([f.id for f in franchisees]),
        franchisees=franchisees,
        selected=selected,
        day=day,
        statement=statement,
        history=history,
        columns=line_columns(),
    )


@bp.route("/settlement/<int:franchisee_id>/<day>")
@page_roles(*ADMIN_UI_ROLES)
def statement_page(franchisee_id, day):
    """One day's statement and its lines; ``?format=csv`` exports the lines."""
    franchisee = get_scoped_or_404(Franchisee, franchisee_id)
    try:
        when = datetime.strptime(day, "%Y-%m-%d").date()
    except ValueError:
        raise NotFound("No such day") from None
    statement = settlement.statement(franchisee.id, when)
    if request.args.get("format") == "csv":
        return csv_response(
            f"statement-{franchisee.id}-{when.isoformat()}.csv", line_columns(), statement["lines"]
        )
    return render_template(
        "franchise/payments/statement.html",
        franchisee=franchisee,
        statement=statement,
        columns=line_columns(),
        day=when,
    )


@bp.route("/reconciliation")
@page_roles(*HQ_ROLES)
def reconciliation():
    """Reconciliation runs, newest first; ``?run=<id>`` shows one run's differences."""
    page = paginate(
        select(ReconciliationRun).order_by(
            ReconciliationRun.bill_date.desc(), ReconciliationRun.attempt.desc()
        )
    )
    run_id = request.args.get("run", type=int)
    run = db.session.get(ReconciliationRun, run_id) if run_id else None
    if run is None and page.items:
        run = page.items[0]
    items = []
    if run is not None:
        items = list(
            db.session.scalars(
                select(ReconciliationItem)
                .where(ReconciliationItem.run_id == run.id)
                .order_by(ReconciliationItem.id)
            )
        )
    names = dict(db.session.execute(select(Franchisee.id, Franchisee.name)).all())
    return render_template(
        "franchise/payments/reconciliation.html",
        page=page,
        run=run,
        items=items,
        names=names,
        kind_label=kind_label,
        schedule=schedule_box(),
    )


@bp.route("/ledger", endpoint="ledger")
@page_roles(*HQ_ROLES)
def ledger_page():
    """The trial balance: Σ debits = Σ credits, per account kind."""
    rows = ledger.trial_balance()
    totals = {
        "debit_fen": sum(r["debit_fen"] for r in rows),
        "credit_fen": sum(r["credit_fen"] for r in rows),
    }
    return render_template(
        "franchise/payments/ledger.html",
        rows=rows,
        totals=totals,
        unbalanced=ledger.unbalanced_transactions(),
        kind_label=kind_label,
    )


@bp.route("/orders/<int:order_id>/refund", methods=["POST"])
@page_roles(*ADMIN_UI_ROLES)
def refund(order_id):
    """The order page's refund form: amount in yuan (two decimals), a reason, and the
    inspection awaiting a refund it settles, if any (``inspection_id``)."""
    order = get_scoped_or_404(Order, order_id)
    back = redirect(url_for("commerce_orders.order", object_id=order.id), 303)
    try:
        form = load_form(RefundFormSchema(), request.form)
    except FormInvalid as exc:
        flash(exc.message, "error")
        return back
    try:
        refunds.request_refund(
            order,
            form["amount_fen"],
            form["reason"].strip(),
            required_principal(),
            inspection_id=form["inspection_id"],
        )
    except DomainError as exc:  # the inspection's own words when it was the problem
        flash((exc.errors or {}).get("inspection_id", [exc.message])[0], "error")
    else:
        flash(_("Refund requested."), "success")
    return back
