"""The delivery monitor (``/admin/delivery?day=&by=region|store|guide``, HQ and owners
scoped): per region, store or guide the groups sent / pending / quota-hit / not-a-friend /
failed, as a ``bar_chart`` and a table; ``?format=csv`` exports the table. Send tasks
WeCom has not reported yet are counted with the time the read-back job asks again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.scope import scoped
from app.clock import shanghai_day
from app.extensions import db
from app.web.listing import Column, csv_response, query_day
from app.web.pages import pages_blueprint
from community.models import DELIVERY_STATUSES, GroupDelivery, SendBatch
from community.services.readback_schedule import waiting_summary
from franchise.models import Guide, Region, Store

bp = pages_blueprint("community_delivery", __name__, "/admin/delivery")

DIMENSIONS: dict[str, tuple[Any, Any, Any]] = {
    "region": (GroupDelivery.region_id, Region, _l("Region")),
    "store": (GroupDelivery.store_id, Store, _l("Store")),
    "guide": (GroupDelivery.guide_id, Guide, _l("Guide")),
}
STATUS_LABELS = {
    "sent": _l("Sent"),
    "pending": _l("Pending"),
    "quota_used": _l("Quota already used"),
    "not_friend": _l("Not a friend"),
    "failed": _l("Failed"),
}


def monitor_rows(day: date, by: str) -> list[dict]:
    """One row per region / store / guide: counts per delivery status."""
    column, model, _label = DIMENSIONS[by]
    stmt = scoped(
        select(column, GroupDelivery.status, func.count())
        .where(GroupDelivery.day == day)
        .group_by(column, GroupDelivery.status),
        GroupDelivery,
    )
    names: dict = dict(db.session.execute(select(model.id, model.name)).all())
    rows: dict = {}
    for key, status, count in db.session.execute(stmt):
        row = rows.setdefault(
            key, {"name": names.get(key, "—"), **dict.fromkeys(DELIVERY_STATUSES, 0), "total": 0}
        )
        row[status] = count
        row["total"] += count
    return sorted(rows.values(), key=lambda r: (-r["total"], str(r["name"])))


@bp.route("")
@page_roles(*ADMIN_UI_ROLES)
def monitor():
    day = query_day("day", shanghai_day())
    by = request.args.get("by", "region") if request.args.get("by") in DIMENSIONS else "region"
    rows = monitor_rows(day, by)
    columns = [Column("name", DIMENSIONS[by][2])] + [
        Column(s, STATUS_LABELS[s], numeric=True) for s in DELIVERY_STATUSES
    ]
    if request.args.get("format") == "csv":
        return csv_response(f"delivery-{day.isoformat()}-{by}.csv", columns, rows)
    totals = {s: sum(r[s] for r in rows) for s in DELIVERY_STATUSES}
    batches = db.session.execute(
        scoped(
            select(SendBatch.status, func.count())
            .where(SendBatch.day == day)
            .group_by(SendBatch.status),
            SendBatch,
        )
    ).all()
    top = rows[:15]
    series = {
        str(STATUS_LABELS[s]): [r[s] for r in top]
        for s in ("sent", "pending", "quota_used", "not_friend")
    }
    return render_template(
        "community/delivery/monitor.html",
        day=day,
        by=by,
        rows=rows,
        totals=totals,
        batches=dict(batches),
        labels=[str(r["name"]) for r in top],
        series=series,
        status_labels=STATUS_LABELS,
        dimensions=DIMENSIONS,
        waiting=waiting_summary(day),
    )
