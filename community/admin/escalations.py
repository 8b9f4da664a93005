"""Overdue sends (``/admin/escalations``): group sends their guide has not confirmed after
the reminders — the store owner's list (level 1, their franchise) and HQ's (level 2) —
with WeCom's own task status and per-group results as the evidence; ``?format=csv``.
The admin home shows the count (``overview_panels``).
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.extensions import db
from app.web.dashboard import DashboardSource
from app.web.i18n import N_, gettext_all
from app.web.listing import Column, csv_response, export_url, paginate
from app.web.pages import pages_blueprint
from app.web.shell import kept_url
from community.admin.delivery import STATUS_LABELS
from community.models import ContentPost, SendBatch
from community.services import escalation
from franchise.models import Guide, Store
from franchise.services.wecom_members import member_name

bp = pages_blueprint("community_escalations", __name__, "/admin")

TASK_STATUS = {0: N_("not sent (0)"), 2: N_("sent (2)")}


def _evidence(evidence: dict) -> str:
    """WeCom's answer in one line: the sender's task status, when asked, group results."""
    if not evidence:
        return ""
    tasks = ", ".join(
        f"{t.get('userid')}: {_(TASK_STATUS.get(t.get('status'), str(t.get('status'))))}"
        for t in evidence.get("task_list") or []
    )
    results = (evidence.get("group_results") or {}).items()
    groups = ", ".join(f"{STATUS_LABELS.get(k, k)} {v}" for k, v in results)
    asked = (evidence.get("asked_at") or "")[:16].replace("T", " ")
    return _(
        "WeCom task %(tasks)s; groups %(groups)s; asked %(asked)s UTC",
        tasks=tasks,
        groups=groups,
        asked=asked,
    )


def _min_level() -> int:
    """HQ sees its own list (level 2) unless it asks for every level; owners see theirs."""
    principal = required_principal()
    if principal.role in HQ_ROLES and request.args.get("level") != "1":
        return escalation.HQ
    return escalation.OWNER


def _stmt(min_level: int):
    stmt = (
        select(SendBatch, Guide.name, Store.name, ContentPost.title)
        .join(ContentPost, ContentPost.id == SendBatch.post_id)
        .outerjoin(Guide, Guide.id == SendBatch.guide_id)
        .outerjoin(Store, Store.id == SendBatch.store_id)
        .where(SendBatch.escalation_level >= min_level, SendBatch.status == "created")
        .order_by(SendBatch.escalated_at.desc(), SendBatch.id)
    )
    return scoped(stmt, SendBatch)


# the CSV reads as the page: its headings, the guide by name (the WeCom member's when no
# guide is linked), whose list it is on as a word
COLUMNS = [
    Column("day", _l("Day"), value=lambda r: r[0].day.isoformat()),
    Column("guide", _l("Guide"), value=lambda r: r[1] or member_name(r[0].sender_userid)),
    Column("store", _l("Store"), value=lambda r: r[2] or ""),
    Column("post", _l("Post"), value=lambda r: r[3]),
    Column("reminders", _l("Reminders"), value=lambda r: r[0].remind_count),
    Column(
        "level",
        _l("On whose list"),
        value=lambda r: _(escalation.LEVEL_LABELS.get(r[0].escalation_level, "")),
    ),
    Column("evidence", _l("WeCom's evidence"), value=lambda r: _evidence(r[0].evidence)),
]


@bp.route("/escalations", endpoint="escalations")
@page_roles(*ADMIN_UI_ROLES)
def escalations_page():
    stmt = _stmt(_min_level())
    if request.args.get("format") == "csv":
        return csv_response("overdue-sends.csv", COLUMNS, db.session.execute(stmt).all())
    return render_template(
        "community/escalations/list.html",
        page=paginate(stmt),
        evidence=_evidence,
        labels=escalation.LEVEL_LABELS,
        csv_url=export_url(),
    )


LEVELS = (escalation.OWNER, escalation.HQ)


def overdue_figures(principal):
    """Both lists' counts in one row: the sends on the owners' list (level 1), on HQ's (2)."""
    if principal.role not in (*HQ_ROLES, "franchise_owner"):
        return None
    on_list = (SendBatch.escalation_level == level for level in LEVELS)
    return scoped(
        select(*[func.count().filter(condition) for condition in on_list]).where(
            SendBatch.status == "created"
        ),
        SendBatch,
        principal,
    )


def overview_panels(principal, values) -> list[dict]:
    """Admin home: overdue sends on the viewer's list (owner: level 1+, HQ: level 2)."""
    if not values:  # a role with no list
        return []
    counts = dict(zip(LEVELS, (int(count) for count in values), strict=True))
    owners, hq, title = gettext_all(
        N_("On the store owners' lists"), N_("On HQ's list"), N_("Overdue sends")
    )
    url = kept_url("community_escalations.escalations", level=1)
    stats = [
        (owners, counts[escalation.OWNER], url),
        (hq, counts[escalation.HQ], kept_url("community_escalations.escalations")),
    ]
    return [{"title": title, "stats": stats}]


OVERDUE_SENDS = DashboardSource(overdue_figures, overview_panels)
