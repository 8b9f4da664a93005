"""The owner's reconciliation page (``/admin/money/reconciliation``): HQ and owners.

For one franchisee (an owner sees only theirs; another's id answers 404) and one day
(default yesterday): each statement line beside its WeChat transaction, the trade bill's
line, the fund-flow bill's "settled by WeChat" and HQ's profit-share receipt; the
differences first; a status filter, pages, and ``?format=csv``: the canonical CSV whose
SHA-256 the page shows (``franchise.services.owner_reconciliation``). Views never commit.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.scope import get_scoped_or_404
from app.web.listing import Column, filter_args, paginate
from franchise.admin.settlement import visible_franchisees
from franchise.api.owner_reconciliation import ReconciliationQuerySchema, csv_export, view_of
from franchise.models import Franchisee

bp = Blueprint(
    "owner_reconciliation", __name__, url_prefix="/admin/money", template_folder="../templates"
)

STATUS_LABELS = {
    "matched": _l("Matched"),
    "missing_in_bill": _l("In the ledger, not in the bill"),
    "missing_in_ledger": _l("In the bill, not in the ledger"),
    "amount": _l("Amounts differ"),
    "not_settled": _l("Not settled by WeChat"),
    "pending": _l("Bills not in yet"),
}
KIND_LABELS = {"payment": _l("Payment"), "refund": _l("Refund")}


def _receipt(item: dict) -> str:
    share = item.get("profit_share")
    if not share:
        return ""
    return f"{share['wechat_order_id'] or share['out_order_no']} · ¥{share['amount_fen'] / 100:.2f}"


def _bill_line(item: dict) -> str:
    line = item.get("bill_line")
    return f"#{line['line_no']} {line['booked_at']}" if line else ""


def columns() -> list[Column]:
    return [
        Column("transaction_id", _l("WeChat transaction")),
        Column("kind", _l("Type"), value=lambda i: KIND_LABELS.get(i["kind"], i["kind"])),
        Column("out_trade_no", _l("Merchant order number")),
        Column("booked_fen", _l("Booked"), money=True),
        Column("billed_fen", _l("Billed by WeChat"), money=True),
        Column(
            "settled",
            _l("Settled by WeChat"),
            value=lambda i: _l("Settled") if i["settled"] else _l("Not settled"),
        ),
        Column("difference", _l("Billed − booked"), money=True),
        Column("status", _l("Status"), value=lambda i: STATUS_LABELS.get(i["status"], "")),
        Column("bill_line", _l("Bill line"), value=_bill_line),
        Column("profit_share", _l("Profit-share receipt"), value=_receipt),
    ]


@bp.route("/reconciliation", endpoint="page")
@page_roles(*ADMIN_UI_ROLES)
def reconciliation_page():
    """One franchisee's day: differences first, then every line; CSV with its hash."""
    franchisees = visible_franchisees()
    ids = [f.id for f in franchisees]
    selected = request.args.get("franchisee_id", type=int) or (ids[0] if ids else None)
    franchisee = get_scoped_or_404(Franchisee, selected or 0)
    view = view_of(franchisee.id, filter_args(ReconciliationQuerySchema))  # the API's answer
    if request.args.get("format") == "csv":
        return csv_export(view)
    status = request.args.get("status") or ""
    shown = [i for i in view["items"] if not status or i["status"] == status]
    shown.sort(key=lambda i: (i["status"] in ("matched", "pending"), i["transaction_id"]))
    return render_template(
        "franchise/payments/owner_reconciliation.html",
        franchisee=franchisee,
        franchisee_options=[(f.id, f.name) for f in franchisees],
        filter_values={
            **request.args.to_dict(),
            "franchisee_id": franchisee.id,
            "date": view["date"],
        },
        view=view,
        digest=view["statement_sha256"],
        page=paginate(shown),
        columns=columns(),
        status_options=[("", _l("All"))] + list(STATUS_LABELS.items()),
    )
