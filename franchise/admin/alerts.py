"""The alerts admin pages: ``/admin/alerts`` (filtered list, CSV) and acknowledging.

Each alert reads as its code's sentence in the viewer's language (Chinese first,
``?lang=en`` for English) from ``franchise.services.alert_catalogue``, linking to the
order, refund, reconciliation run, customer or franchisee it is about. Filters: level, type,
franchisee (HQ), and open / acknowledged for the viewer's audience (HQ and the owner
acknowledge separately). HQ sees every franchise's alerts and those of no franchise; an
owner only their franchise's (another's answers 404). Views never commit: services do.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from sqlalchemy import and_, select
from sqlalchemy.orm import with_expression

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.principal import current_principal
from app.auth.scope import get_scoped_or_404, scope_clause, scoped
from app.extensions import db
from app.web.formatting import DASH, yuan
from app.web.labels import customer_name
from app.web.listing import Column
from app.web.page_action import flashed
from franchise.admin.support import list_page
from franchise.models import Alert, Customer, Franchisee
from franchise.services import alerts as alert_service
from franchise.services.alert_catalogue import (
    CATALOGUE,
    LEVELS,
    alert_type,
    level_label,
    placeholders,
    type_label,
)
from franchise.services.order_flow import status_label

bp = Blueprint("alerts_admin", __name__, url_prefix="/admin", template_folder="../templates")

LEVEL_BADGES = {"critical": "badge-err", "warning": "badge-warn", "info": "badge-info"}
# parameters that only identify an object: never listed under the sentence
_ID_PARAMS = {
    "order_id",
    "refund_id",
    "run_id",
    "profit_share_id",
    "franchisee_id",
    "guide_id",
    "customer_id",
}
# the other parameters as words (``details``); one not named here shows under its own name
PARAM_LABELS = {
    "out_trade_no": _l("Merchant order number"),
    "transaction_id": _l("WeChat transaction"),
    "sub_mch_id": _l("WeChat Pay sub-merchant id"),
    "total_fee": _l("Amount"),
    "payable_fen": _l("Payable"),
    "order_no": _l("Order number"),
    "out_refund_no": _l("Refund number"),
    "out_order_no": _l("Share order number"),
    "errcode": _l("Error code"),
    "error": _l("Error"),
    "last_error": _l("Last error"),
    "source": _l("Source"),
    "kinds": _l("Kinds of difference"),
    "date": _l("Date"),
    "reason": _l("Reason"),
    "url": _l("Address"),
    "status": _l("Status"),
}
# where a paid result came from (``notify_failed``'s ``source``)
SOURCE_LABELS = {
    "notify": _l("Pay notify"),
    "orderquery": _l("Order query"),
    "demo": _l("Demo"),
}


class AlertQuerySchema(Schema):
    level = fields.String(validate=validate.OneOf(LEVELS))
    code = fields.String(validate=validate.Length(max=40))
    franchisee_id = fields.Integer(strict=False)
    open = fields.String(validate=validate.OneOf(("1", "0")))


def _param_text(name: str, value) -> str:
    """One parameter as the viewer reads it: money in yuan, an order state as a word."""
    if value is None or value == "":
        return DASH
    if (name == "total_fee" or name.endswith("_fen")) and type(value) is int:
        return yuan(value)
    if name == "status":
        return status_label(str(value))
    if name == "source" and value in SOURCE_LABELS:
        return str(SOURCE_LABELS[value])
    if name == "reason":
        return _(str(value))
    if name == "kinds":  # a reconciliation's kinds of difference, as words
        from franchise.admin.owner_reconciliation import STATUS_LABELS

        return "、".join(str(STATUS_LABELS.get(k, k)) for k in str(value).split(", "))
    return str(value)


def describe(alert: Alert) -> str:
    """The alert's sentence in the viewer's language, parameters filled in."""
    params = alert.params or {}
    entry = alert_type(alert.code)
    if entry.code == "" and not params.get("message"):
        return alert.code
    values = {name: _param_text(name, params.get(name)) for name in placeholders(entry.template)}
    if "customer" in values:  # the customer's name now (the one kept if they are gone)
        values["customer"] = customer_name(_customer(alert))
    if entry.code == "":
        return entry.template % values
    return _(entry.template, **values)


def _customer(alert: Alert) -> SimpleNamespace:
    """The customer the alert names, as ``customer_name`` reads one: as they are now when
    ``alert_stmt`` found them, else the nickname the alert kept when it was raised."""
    params = alert.params or {}
    if alert.customer_now_id is not None:
        return SimpleNamespace(
            id=alert.customer_now_id,
            nickname=alert.customer_now_nickname,
            phone=alert.customer_now_phone,
        )
    return SimpleNamespace(nickname=params.get("customer"), id=params.get("customer_id"))


def details(alert: Alert) -> str:
    """Parameters the sentence does not show (a transaction, an error) as ``word: value``
    in the viewer's language (``PARAM_LABELS``; values as ``_param_text`` reads them)."""
    params = alert.params or {}
    shown = set(placeholders(alert_type(alert.code).template)) | _ID_PARAMS
    return " · ".join(
        f"{PARAM_LABELS.get(k, k)}: {_param_text(k, v)}"
        for k, v in params.items()
        if k not in shown
    )


def object_url(alert: Alert) -> str | None:
    """The admin page of the object the alert is about, when the viewer may open it."""
    params = alert.params or {}
    link = alert_type(alert.code).link
    order_id = params.get("order_id")
    if link in ("order", "refund") and isinstance(order_id, int):
        anchor = "#refunds" if link == "refund" else ""
        return url_for("commerce_orders.order", object_id=order_id) + anchor
    run_id = params.get("run_id")
    if link == "run" and isinstance(run_id, int) and alert_service.audience(_me()) == "hq":
        return url_for("payments_admin.reconciliation", run=run_id)
    day = params.get("date")
    if link == "owner_reconciliation" and alert.franchisee_id is not None and day:
        return url_for("owner_reconciliation.page", franchisee_id=alert.franchisee_id, date=day)
    guide_id = params.get("guide_id")
    if link == "guide" and isinstance(guide_id, int):
        return url_for("franchise_admin.guide", object_id=guide_id)
    customer_id = params.get("customer_id")
    if link == "customer" and isinstance(customer_id, int):
        return url_for("franchise_customers.customer", object_id=customer_id)
    if alert.franchisee_id is not None:
        return url_for("franchise_admin.franchisee", object_id=alert.franchisee_id)
    return None


def _me():
    return current_principal()


def _status(alert: Alert, who: str):
    return _l("Not acknowledged") if alert_service.is_open(alert, who) else _l("Acknowledged")


def columns(names: dict[int, str], who: str, hq: bool) -> list[Column]:
    """The list's (and the CSV's) columns for the viewer's audience."""
    other = "owner" if who == "hq" else "hq"
    cols = [
        Column("last_seen_at", _l("Last seen"), time=True),
        Column("level", _l("Alert level"), value=lambda a: level_label(a.level)),
        Column("type", _l("Type"), value=lambda a: type_label(a.code)),
        Column("description", _l("Alert"), value=describe, link=object_url),
        Column("count", _l("Occurrences"), numeric=True),
        Column("first_seen_at", _l("First seen"), time=True),
        Column("status", _l("Status"), value=lambda a: _status(a, who)),
    ]
    if hq:
        cols.insert(
            4,
            Column("franchisee", _l("Franchisee"), value=lambda a: names.get(a.franchisee_id, "")),
        )
        owner_ack = _l("Franchise owner's acknowledgement")
        cols.append(Column("owner_status", owner_ack, value=lambda a: _status(a, other)))
    cols.append(Column("details", _l("Details"), value=details))
    return cols


# the codes whose alerts name a customer (``params.customer_id``)
_CUSTOMER_CODES = tuple(code for code, entry in CATALOGUE.items() if entry.link == "customer")


def alert_stmt(args: dict, who: str):
    """The alerts the viewer may see, filtered, newest first, each with the customer it
    names as they are now (a customer the viewer may see; one outer join)."""
    named = and_(
        Alert.code.in_(_CUSTOMER_CODES),
        Customer.id == Alert.params["customer_id"].as_integer(),
    )
    customer_scope = scope_clause(Customer, _me())
    if customer_scope is not None:
        named = and_(named, customer_scope)
    stmt = (
        scoped(select(Alert), Alert)
        .outerjoin(Customer, named)
        .options(
            with_expression(Alert.customer_now_id, Customer.id),
            with_expression(Alert.customer_now_nickname, Customer.nickname),
            with_expression(Alert.customer_now_phone, Customer.phone),
        )
        .order_by(Alert.last_seen_at.desc(), Alert.id.desc())
    )
    if args.get("level"):
        stmt = stmt.where(Alert.level == args["level"])
    if args.get("code"):
        stmt = stmt.where(Alert.code == args["code"])
    if args.get("franchisee_id") is not None:
        stmt = stmt.where(Alert.franchisee_id == args["franchisee_id"])
    if args.get("open") == "1":
        stmt = stmt.where(alert_service.open_clause(who))
    elif args.get("open") == "0":
        stmt = stmt.where(~alert_service.open_clause(who))
    return stmt


def _filters(franchisees: dict[int, str], hq: bool) -> list[dict]:
    level_options = [(level, level_label(level)) for level in LEVELS]
    type_options = [(code, entry.label) for code, entry in CATALOGUE.items()]
    fields_ = [
        {"name": "level", "label": _l("Alert level"), "type": "select", "options": level_options},
        {"name": "code", "label": _l("Type"), "type": "select", "options": type_options},
    ]
    if hq:
        fields_.append(
            {
                "name": "franchisee_id",
                "label": _l("Franchisee"),
                "type": "select",
                "options": list(franchisees.items()),
            }
        )
    fields_.append(
        {
            "name": "open",
            "label": _l("Status"),
            "type": "select",
            "options": [("1", _l("Not acknowledged")), ("0", _l("Acknowledged"))],
        }
    )
    return fields_


@bp.route("/alerts")
@page_roles(*ADMIN_UI_ROLES)
def alerts():
    """Alerts through the tenant scope, filtered; ``?format=csv`` exports them."""
    principal = current_principal()
    who = alert_service.audience(principal)
    hq = who == "hq"
    names = dict(
        db.session.execute(
            scoped(select(Franchisee.id, Franchisee.name), Franchisee).order_by(Franchisee.id)
        ).all()
    )
    return list_page(
        AlertQuerySchema,
        lambda args: alert_stmt(args, who),
        "alerts.csv",
        columns(names, who, hq),
        "franchise/payments/alerts.html",
        context=lambda _args: {
            "fields": _filters(names, hq),
            "who": who,
            "is_open": alert_service.is_open,
            "badges": LEVEL_BADGES,
        },
    )


@bp.route("/alerts/<int:alert_id>/ack", methods=["POST"])
@page_roles(*ADMIN_UI_ROLES)
def acknowledge(alert_id):
    """Acknowledge for the viewer's audience, then back to the list as it was filtered."""
    alert = get_scoped_or_404(Alert, alert_id)
    with flashed(_("Alert acknowledged.")):
        alert_service.acknowledge(alert, current_principal())
    back = request.form.get("next") or ""
    if not back.startswith("/admin/alerts") or "\\" in back or "//" in back:
        back = url_for("alerts_admin.alerts")
    return redirect(back, 303)
