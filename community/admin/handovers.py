"""Admin page of hand-overs through WeCom (``/admin/handovers``).

Every customer or group handed from one guide to another (a guide left, a store closed,
HQ moved them) with WeCom's outcome — waiting (the 24 h deadline), accepted (WeCom's
takeover time), refused by the
customer, the takeover's limit, or WeCom's error with its reason — filtered by status and
cause, paginated, with CSV; refusals first by default so HQ sees them. HQ moves a
guide's WeCom customers to another guide (在职继承) and reads WeCom's results now.

Views never commit: services do.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.errors import DomainError
from app.extensions import db
from app.list_query import where_given
from app.web.form_input import FormInvalid, load_form
from app.web.listing import Column, csv_response, export_url, filter_args, paginate
from app.web.pages import pages_blueprint
from app.wechat.errors import WeChatError
from community.models.contacts import WecomContact
from community.models.groups import WecomGroup
from community.models.wecom_customers import WecomTransfer
from community.schemas import GuideHandoverSchema, TransferQuerySchema
from community.services import transfers
from franchise.admin.support import choices
from franchise.models import Customer, Guide

bp = pages_blueprint("community_handovers", __name__, "/admin")

STATUS_LABELS = {
    "queued": _l("Not yet sent to WeCom"),
    "waiting": _l("Waiting for the customer"),
    "accepted": _l("Taken over"),
    "refused": _l("Refused by the customer"),
    "limit": _l("Takeover's customer limit reached"),
    "failed": _l("WeCom refused"),
}
REASON_LABELS = {
    "guide_left": _l("Guide left"),
    "store_closed": _l("Store closed"),
    "hq_move": _l("Moved by HQ"),
}
From, To = aliased(Guide), aliased(Guide)


def handover_stmt(args: dict):
    """The caller's hand-overs with the names of everyone involved, refusals first."""
    stmt = scoped(
        select(
            WecomTransfer,
            Customer.nickname.label("customer_name"),
            WecomContact.name.label("contact_name"),
            WecomGroup.name.label("group_name"),
            From.name.label("from_name"),
            To.name.label("to_name"),
        )
        .outerjoin(Customer, Customer.id == WecomTransfer.customer_id)
        .outerjoin(WecomContact, WecomContact.external_userid == WecomTransfer.external_userid)
        .outerjoin(WecomGroup, WecomGroup.chat_id == WecomTransfer.chat_id)
        .outerjoin(From, From.id == WecomTransfer.handover_guide_id)
        .outerjoin(To, To.id == WecomTransfer.takeover_guide_id),
        WecomTransfer,
    )
    stmt = where_given(stmt, WecomTransfer, args, ("status", "reason"))
    refused_first = WecomTransfer.status.in_(("refused", "limit", "failed")).desc()
    return stmt.order_by(refused_first, WecomTransfer.id.desc())


def _who(row) -> str:
    """The group's name, else the customer's nickname, else the name the customer has in
    WeCom (never a chat id)."""
    t = row[0]
    if t.target == "group":
        return row.group_name or _("Unnamed group")
    return row.customer_name or row.contact_name or _("Unnamed customer")


FAIL_REASONS = {
    "customer_refused": _l("The customer refused the takeover"),
    "customer_limit_exceed": _l("The takeover guide has reached WeCom's customer limit"),
}


def _reason(row) -> str | None:
    """WeCom's reason in words, with WeCom's own code or word after it."""
    message = row[0].errmsg
    if message in FAIL_REASONS:
        return f"{FAIL_REASONS[message]} ({message})"
    return message


def _taken_over_at(row):
    """An accepted hand-over: WeCom's ``takeover_time`` (from ``transfer_result``). A row
    accepted before that time was kept still holds the 24 h deadline, later than the
    moment Siyu learnt of the takeover: that moment is shown instead."""
    t = row[0]
    if t.status != "accepted" or t.takeover_at is None:
        return None
    if t.decided_at is not None and t.takeover_at > t.decided_at:
        return t.decided_at
    return t.takeover_at


def _accept_by(row):
    """A waiting hand-over: the deadline (WeCom takes the customer over automatically
    then unless they refuse); none once decided."""
    t = row[0]
    return t.takeover_at if t.status == "waiting" else None


def _columns() -> list[Column]:
    return [
        Column("who", _l("Customer or group"), value=_who),
        Column("from", _l("From"), value=lambda r: r.from_name),
        Column("to", _l("To"), value=lambda r: r.to_name),
        Column("reason", _l("Cause"), value=lambda r: str(REASON_LABELS.get(r[0].reason, ""))),
        Column("status", _l("Status"), value=lambda r: str(STATUS_LABELS.get(r[0].status, ""))),
        Column("errmsg", _l("WeCom's reason"), value=_reason),
        Column("taken_over_at", _l("Taken over at"), value=_taken_over_at, time=True),
        Column("accept_by", _l("Automatic takeover at"), value=_accept_by, time=True),
        Column("requested_at", _l("Requested"), value=lambda r: r[0].requested_at, time=True),
    ]


def _fields() -> list[dict]:
    return [
        {
            "name": "status",
            "label": _("Status"),
            "type": "select",
            "options": STATUS_LABELS.items(),
        },
        {"name": "reason", "label": _("Cause"), "type": "select", "options": REASON_LABELS.items()},
    ]


@bp.route("/handovers", methods=["GET", "POST"])
@page_roles(*ADMIN_UI_ROLES)
def handovers():
    """The hand-overs in scope; HQ moves a guide's customers and reads results now."""
    principal = required_principal()
    if request.method == "POST":
        if not principal.is_hq:
            abort(403)
        try:
            if request.form.get("action") == "read":
                result = transfers.read_back()
                flash(_("WeCom's results read: %(n)s decided.", n=sum(result.values())), "success")
            else:
                try:
                    body = load_form(GuideHandoverSchema(), request.form)
                except FormInvalid as exc:
                    raise DomainError(_("Choose a guide."), status=422, errors=exc.errors) from exc
                source = get_scoped_or_404(Guide, body["from_guide_id"])
                target = get_scoped_or_404(Guide, body["to_guide_id"])
                customers = list(
                    db.session.scalars(
                        scoped(select(Customer), Customer).where(Customer.guide_id == source.id)
                    )
                )
                rows = transfers.move_customers(customers, target, principal.user_id)
                flash(_("%(n)s hand-overs sent to WeCom.", n=len(rows)), "success")
        except (DomainError, WeChatError) as exc:
            db.session.rollback()
            flash(getattr(exc, "message", str(exc)), "error")
        return redirect(url_for("community_handovers.handovers"), 303)
    args = filter_args(TransferQuerySchema)
    stmt = handover_stmt(args)
    if request.args.get("format") == "csv":
        return csv_response("handovers.csv", _columns(), stmt)
    return render_template(
        "community/handovers/list.html",
        fields=_fields(),
        columns=_columns(),
        page=paginate(stmt),
        export_url=export_url("community_handovers.handovers"),
        guides=choices(Guide) if principal.is_hq else [],
        is_hq=principal.is_hq,
    )
