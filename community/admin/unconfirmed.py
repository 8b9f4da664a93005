"""Group sends WeCom made a task for that the guide has not confirmed past their time.

A send batch is ``created`` once WeCom holds the task; it waits for the guide to confirm
it in the group send assistant. After ``GRACE`` it is late: the overview counts these
(HQ: all; an owner: their franchise's) and links here, to the same rows with the guide,
the post, the groups and the reminders so far, filterable by guide and CSV-exportable.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.principal import Principal
from app.auth.scope import scoped
from app.clock import utcnow
from app.extensions import db
from app.web.attention import Attention, attention_panel
from app.web.dashboard import DashboardSource
from app.web.i18n import N_, gettext_all
from app.web.listing import Column, csv_response, export_url, paginate
from app.web.shell import kept_url
from community.models import SendBatch
from community.models.delivery import BATCH_CREATED
from franchise.models import Guide

bp = Blueprint("community_unconfirmed", __name__, url_prefix="/admin/delivery")

GRACE = timedelta(hours=2)  # a task unconfirmed this long after WeCom made it is late


def late_batches(principal: Principal | None = None, made_before=None):
    """The viewer's send batches WeCom holds and nobody confirmed within ``GRACE`` (made
    before ``made_before``: now minus ``GRACE``, or a bound parameter)."""
    cutoff = utcnow() - GRACE if made_before is None else made_before
    return scoped(
        select(SendBatch).where(SendBatch.status == BATCH_CREATED, SendBatch.created_at < cutoff),
        SendBatch,
        principal,
    )


def late_count(principal: Principal):
    late = late_batches(principal, bindparam("made_before")).subquery()
    return select(func.count()).select_from(late)


def _columns() -> list[Column]:
    return [
        Column("guide", _l("Guide"), value=lambda b: b.guide.name if b.guide else "—"),
        Column("post", _l("Content"), value=lambda b: b.post.title if b.post else "—"),
        Column("groups", _l("Groups"), value=lambda b: len(b.chat_ids or []), numeric=True),
        Column("created_at", _l("Task made at"), time=True),
        Column("remind_count", _l("Reminders sent"), numeric=True),
    ]


@bp.route("/unconfirmed")
@page_roles(*ADMIN_UI_ROLES)
def unconfirmed():
    """Late unconfirmed group sends, oldest first; ``?guide_id=`` narrows to one guide."""
    stmt = late_batches().order_by(SendBatch.created_at, SendBatch.id)
    guide_id = request.args.get("guide_id", type=int)
    if guide_id:
        stmt = stmt.where(SendBatch.guide_id == guide_id)
    if request.args.get("format") == "csv":
        return csv_response("unconfirmed-sends.csv", _columns(), stmt)
    guides = db.session.execute(
        scoped(select(Guide.id, Guide.name), Guide).order_by(Guide.name)
    ).all()
    fields = [
        {
            "name": "guide_id",
            "label": _l("Guide"),
            "type": "select",
            "options": [("", _l("All"))] + [(str(i), n) for i, n in guides],
        }
    ]
    return render_template(
        "franchise/list.html",
        title=_l("Group sends not confirmed in time"),
        fields=fields,
        values=request.args,
        columns=_columns(),
        page=paginate(stmt),
        export_url=export_url(),
        new_url=None,
    )


def send_attention(principal, values) -> list[dict]:
    """The overview's count of late unconfirmed sends, linking to the list above."""
    (count,) = values
    late, groups = gettext_all(N_("Group sends not confirmed in time"), N_("Groups"))
    item = Attention(
        late, int(count or 0), kept_url("community_unconfirmed.unconfirmed"), "warning"
    )
    return [attention_panel(groups, [item])]


LATE_SENDS = DashboardSource(
    late_count, send_attention, lambda common: {"made_before": common["now"] - GRACE}
)
