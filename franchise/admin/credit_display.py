"""How credit reads on the pages: the sources, dispute states and book entry kinds as
words, a piece of evidence as a sentence with its Shanghai time and names (never ids), and
the order page's credit section (``order_credit_panel``, a template global). Shared by
the admin pages (``franchise.admin.credit``) and the guide's page
(``franchise.guide.credit``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import FRANCHISE_OWNER
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from app.web.formatting import shanghai
from app.web.labels import label
from franchise.models import CreditDispute, Order, OrderCredit, Store
from franchise.services import credit
from franchise.services.settings import get_setting

SOURCE_LABELS = {
    "live_campaign": _l("Live campaign guide"),
    "share_code": _l("Share code guide"),
    "in_store": _l("Guide who served in store"),
    "assigned": _l("Assigned guide"),
    "store": _l("Order's store"),
    "ruling": _l("HQ ruling"),
}
STATUS_LABELS = {"open": _l("Awaiting ruling"), "upheld": _l("Upheld"), "rejected": _l("Rejected")}
# a dispute's history steps
ACTION_LABELS = {"filed": _l("Filed"), "moved": _l("Credit moved"), **STATUS_LABELS}
KIND_LABELS = {
    "accrual": _l("Accrued"),
    "reversal": _l("Reversed (refund)"),
    "moved_out": _l("Moved by ruling"),
    "live_reward": _l("Live reward"),
    "live_penalty": _l("Live penalty"),
}


def display_name(model, object_id) -> str:
    row = db.session.get(model, object_id) if object_id else None
    return row.name if row is not None else "—"


def describe(item: dict) -> str:
    """One piece of evidence in words with its Shanghai time."""
    kind = item.get("kind")
    if kind == "share_code":
        text = _("Share code %(code)s", code=item.get("code") or "")
    elif kind == "contact_way":
        text = _(
            "Added the guide on WeCom through the 联系我 code %(state)s (%(way)s)",
            state=item.get("state") or "",
            way=display_name(Store, item.get("store_id"))
            if item.get("way") == "store"
            else _("the guide's own code"),
        )
    elif kind == "assignment":
        rule = item.get("rule") or ""
        text = _("Bound to the guide (%(rule)s)", rule=label(rule, "assignment_rule"))
    elif kind == "redemption":
        text = _(
            "Coupon %(code)s redeemed at %(store)s",
            code=item.get("code") or "",
            store=display_name(Store, item.get("store_id")),
        )
    elif kind == "appointment":
        text = _("Appointment at %(store)s", store=display_name(Store, item.get("store_id")))
    elif kind == "visit":
        text = _(
            "Live campaign visit (%(campaign)s) through %(code)s",
            campaign=item.get("campaign_name") or "",
            code=item.get("code") or "—",
        )
    elif kind == "ruling":
        text = _("HQ ruling on dispute #%(id)s", id=item.get("ref"))
    else:
        text = _("The order's store")
    at = item.get("at")
    if at:
        text += " · " + shanghai(datetime.fromisoformat(at))
    return text


def order_credit_panel(order: Order) -> dict | None:
    """What the order page's credit section shows (None: nothing to show or not allowed)."""
    principal = required_principal()
    try:
        credit.visible_order(order.id, principal)
    except DomainError:
        return None
    credit.ensure_credited(order)
    rows = credit.current_lines(order.id)
    gate = db.session.scalars(select(OrderCredit).where(OrderCredit.order_id == order.id)).first()
    days = int(get_setting("credit.dispute_days"))
    closes = gate.paid_at + timedelta(days=days) if gate else None
    lines = {line.id: line for line in order.lines}
    found = scoped(select(CreditDispute).where(CreditDispute.order_id == order.id), CreditDispute)
    return {
        "rows": [
            {
                "line": lines.get(cl.order_line_id),
                "guide": cl.guide.name if cl.guide else _("(no guide: the store)"),
                "store": cl.store.name if cl.store else "—",
                "franchisee": cl.franchisee.name,
                "percent": f"{cl.share_bps / 100:g} %",
                "basis_fen": cl.basis_fen,
                "sources": [SOURCE_LABELS.get(s, s) for s in cl.sources.split(",")],
                "evidence": [describe(e) for e in cl.evidence],
            }
            for cl in rows
        ],
        "disputes": db.session.scalars(found.order_by(CreditDispute.id)).all(),
        "status_labels": STATUS_LABELS,
        "closes": closes,
        "can_dispute": principal.role == FRANCHISE_OWNER
        and closes is not None
        and utcnow() <= closes,
        "lines": order.lines,
    }


def entry_note(note: str | None) -> str:
    """A book entry's note in words: the event keys the commission service writes
    (``paid``, ``refund12``, ``ruling3``, ``dispute 3``) read as what happened; a person's
    note (live rewards) as written."""
    if not note:
        return ""
    if note == "paid":
        return _("Refunded before the credit was made")
    found = re.fullmatch(r"(refund|ruling|dispute ?)(\d+)", note)
    if found is None:
        return note
    kind, number = found.group(1).strip(), found.group(2)
    if kind == "refund":
        return _("Refund %(n)s", n=number)
    return _("Dispute %(n)s", n=number)
