"""Alerts HQ and franchise owners must look at: refused or forged pay notifies, amount or
merchant mismatches, paid results that could not be posted, payments of orders that could
not take them, bill differences, failed refunds and HQ shares.

``record(code, data=...)`` writes one occurrence in its own short transaction (it rolls
back whatever the session held first, so call it only after the failed work was
abandoned). Occurrences of the same cause (the code and its key parameters, see
``franchise.services.alert_catalogue``) are one row: a single ``INSERT … ON CONFLICT DO
UPDATE`` adds one to ``count``, moves ``last_seen_at`` and re-opens the alert for HQ and
the owner, so concurrent recurrences never make a second row on either database.

HQ and the franchise owner acknowledge separately (``hq_acknowledged_*`` and
``owner_acknowledged_*``); each audience sees its own open state. Owners see their
franchise's alerts through the tenant scope.
"""

from __future__ import annotations

import logging
from typing import cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult

from app.auth.scope import scoped
from app.clock import utcnow
from app.db import is_postgres
from app.errors import Conflict
from app.extensions import db
from franchise.models import Alert
from franchise.services.alert_catalogue import CATALOGUE, LEVELS, alert_type, cause_key

log = logging.getLogger("siyu.franchise.alerts")

HQ, OWNER = "hq", "owner"


def _clean(data: dict | None) -> dict:
    """The parameters worth keeping: JSON scalars, text cut at 200 characters."""
    params = {}
    for name, value in (data or {}).items():
        if value is None:
            continue
        if not isinstance(value, bool | int | float | str):
            value = str(value)
        if isinstance(value, str):
            value = value[:200]
        params[str(name)[:40]] = value
    return params


def record(
    code: str,
    message: str | None = None,
    data: dict | None = None,
    *,
    franchisee_id: int | None = None,
    severity: str | None = None,
    key: str | None = None,
) -> int | None:
    """Record one occurrence of ``code`` with parameters ``data`` and commit; never raises.

    ``message`` is optional free text: logged, and kept only as a ``detail`` parameter
    shown under the translated sentence (for a code the catalogue does not know it is the
    sentence). ``severity`` overrides the catalogue's level; ``key`` overrides the cause.
    Returns the alert's id (the same id for every occurrence of one cause).
    """
    try:
        db.session.rollback()
        params = _clean(data)
        if message:
            params.setdefault("detail" if code in CATALOGUE else "message", message[:255])
        level = severity if severity in LEVELS else alert_type(code).level
        now = utcnow()
        table = Alert.__table__
        insert = pg_insert if is_postgres(db.engine) else sqlite_insert
        stmt = insert(table).values(
            code=code[:40],
            cause_key=cause_key(code, params, key),
            level=level,
            params=params,
            franchisee_id=franchisee_id,
            count=1,
            first_seen_at=now,
            last_seen_at=now,
        )
        upsert = stmt.on_conflict_do_update(
            index_elements=["code", "cause_key"],
            set_={
                "count": table.c.count + 1,
                "last_seen_at": now,
                "params": stmt.excluded.params,
                "level": stmt.excluded.level,
                "franchisee_id": func.coalesce(stmt.excluded.franchisee_id, table.c.franchisee_id),
                "hq_acknowledged_at": None,
                "hq_acknowledged_by": None,
                "owner_acknowledged_at": None,
                "owner_acknowledged_by": None,
            },
        ).returning(table.c.id)
        alert_id = db.session.execute(upsert).scalar_one()
        db.session.commit()
        log.warning("alert %s %s: %s", code, params, message or "")
        return alert_id
    except Exception:  # noqa: BLE001 - an alert must never break the caller's answer
        db.session.rollback()
        log.exception("could not record alert %s: %s", code, message)
        return None


def audience(principal) -> str:
    """Whose acknowledgement the viewer gives and sees: HQ's or the franchise owner's."""
    return HQ if principal is not None and principal.is_hq else OWNER


def ack_columns(who: str):
    """``(acknowledged_at, acknowledged_by)`` columns of an audience."""
    if who == HQ:
        return Alert.hq_acknowledged_at, Alert.hq_acknowledged_by
    return Alert.owner_acknowledged_at, Alert.owner_acknowledged_by


def is_open(alert: Alert, who: str) -> bool:
    return (alert.hq_acknowledged_at if who == HQ else alert.owner_acknowledged_at) is None


def open_clause(who: str):
    """The SQL condition "not yet acknowledged by ``who``"."""
    return ack_columns(who)[0].is_(None)


def resolve(code: str, data: dict) -> None:
    """Close for HQ and the owner the alert of ``code`` whose cause ``data`` names (the
    caller's transaction, no commit): what it asked for was done. No one is named as
    having acknowledged it; nothing happens when there is no such alert."""
    now = utcnow()
    db.session.execute(
        update(Alert)
        .where(Alert.code == code, Alert.cause_key == cause_key(code, _clean(data)))
        .values(
            hq_acknowledged_at=func.coalesce(Alert.hq_acknowledged_at, now),
            owner_acknowledged_at=func.coalesce(Alert.owner_acknowledged_at, now),
        )
        .execution_options(synchronize_session=False)
    )


def acknowledge(alert: Alert, principal) -> Alert:
    """Acknowledge an alert (already loaded through the caller's scope) for the caller's
    audience only: an owner's acknowledgement leaves HQ's open. Commits."""
    at_col, by_col = ack_columns(audience(principal))
    result = db.session.execute(
        update(Alert)
        .where(Alert.id == alert.id, at_col.is_(None))
        .values({at_col: utcnow(), by_col: getattr(principal, "user_id", None)})
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult, result).rowcount != 1:
        db.session.rollback()
        raise Conflict("This alert was already acknowledged.")
    db.session.commit()
    db.session.refresh(alert)
    return alert


def open_figures(principal, codes: tuple[str, ...]):
    """One row: the open alerts the viewer may see at each level of ``LEVELS``, then with
    each of ``codes`` (one pass over the open alerts)."""

    return scoped(
        select(
            *[func.count().filter(Alert.level == level) for level in LEVELS],
            *[func.count().filter(Alert.code == code) for code in codes],
        ).where(open_clause(audience(principal))),
        Alert,
        principal,
    )


def alert_refused_notify(response):
    """After a request to the notify route (a hook on its blueprint only): a notify the
    route refused before any handler saw it (HTTP 400: bad signature, bad XML, wrong
    appid / mch_id; for APIv3 also an unknown serial, a stale timestamp, a resource that
    does not decrypt) leaves an Alert for HQ, one per reason however often it recurs."""
    from flask import request

    if request.endpoint != "pay_notify.pay_notify" or response.status_code != 400:
        return response
    import xmltodict

    try:
        if response.is_json:  # APIv3: {"code": "FAIL", "message": reason}
            reason = str((response.get_json() or {})["message"])
        else:
            reason = (xmltodict.parse(response.get_data(as_text=True)) or {})["xml"]["return_msg"]
    except Exception:  # noqa: BLE001 - the answer is ours; keep going whatever it is
        reason = "refused"
    record("pay_notify_refused", data={"reason": reason, "remote_addr": request.remote_addr})
    return response
