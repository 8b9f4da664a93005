"""Alerts HQ must look at: refused or forged pay notifies, amount or merchant mismatches,
payments of orders that could not take them, bill differences, failed refunds.

``record`` writes one alert in its own short transaction (it rolls back whatever the
session held first, so call it only after the failed work was abandoned). A flood of the
same alert (same kind and message within a minute) is folded into the first one's
``data["repeats"]``. Owners see their franchise's alerts through the tenant scope.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from app.auth.models import utcnow
from app.errors import Conflict
from app.extensions import db
from franchise.models import Alert

log = logging.getLogger("siyu.franchise.payments")

FOLD_SECONDS = 60


def record(
    kind: str,
    message: str,
    data: dict | None = None,
    *,
    franchisee_id: int | None = None,
    severity: str = "warning",
) -> int | None:
    """Write (or fold into a recent twin) an alert and commit; never raises."""
    try:
        db.session.rollback()
        since = utcnow() - timedelta(seconds=FOLD_SECONDS)
        twin = db.session.scalars(
            select(Alert)
            .where(Alert.kind == kind, Alert.message == message[:255], Alert.created_at >= since)
            .order_by(Alert.id.desc())
            .limit(1)
        ).first()
        if twin is not None:
            folded = dict(twin.data or {})
            folded["repeats"] = int(folded.get("repeats", 0)) + 1
            twin.data = folded
            db.session.commit()
            return twin.id
        alert = Alert(
            kind=kind[:32],
            severity=severity[:8],
            message=message[:255],
            data=data or {},
            franchisee_id=franchisee_id,
        )
        db.session.add(alert)
        db.session.commit()
        log.warning("alert %s: %s", kind, message)
        return alert.id
    except Exception:  # noqa: BLE001 - an alert must never break the caller's answer
        db.session.rollback()
        log.exception("could not record alert %s: %s", kind, message)
        return None


def acknowledge(alert: Alert, user_id: int | None) -> Alert:
    """Mark an alert (already loaded through the caller's scope) as seen; commits."""
    result = db.session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow(), acknowledged_by=user_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("This alert was already acknowledged.")
    db.session.commit()
    db.session.refresh(alert)
    return alert
