"""Points expiry: the nightly job, the reminder before it, and what a member will lose.

A member holds ``Σ lots − points_consumed`` (``franchise.models.members``): spending
consumes the oldest-expiring points first. On day D (Shanghai) every lot that expired
before D (``expires_on < D``) is settled for all members in five set-based steps in one
transaction (one statement on PostgreSQL) — no row per member leaves the database:

1. an ``expiry`` transaction per member for ``max(0, Σ expired lots − consumed)``
   (key ``expiry:<D>:<customer>:<newest lot>``: the lots are deleted in the same
   transaction, so a second run of the day sees only lots added since, and posts for
   exactly those; the balance never moves without its posting);
2. and 3. its two entries (Dr ``member:<customer>``, Cr ``expired:hq``);
4. the member's balance and ``points_consumed`` (``max(0, consumed − Σ expired lots)``);
5. the expired lots are deleted.

The reminder: members whose points expire in exactly HQ's ``reminder_days`` are handed
to the listeners of the hook ``POINTS_EXPIRING`` (community's pushes add one; franchise
never imports community), as ``[(customer_id, points, expires_on)]`` in batches; then
the listeners of ``POINTS_REMINDED`` get the run's day (community retries, once, the
reminders WeChat refused earlier).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, bindparam, func, select, text

from app.clock import shanghai_day, utcnow
from app.extensions import db, hooks
from franchise.models import Member, PointLot, PointTransaction
from franchise.services import member_settings, points_book
from franchise.services.points_book import HQ, account_code

POINTS_EXPIRING = "franchise.points_expiring"  # hook(list of (customer, points, on))
POINTS_REMINDED = "franchise.points_reminded"  # hook(day): the day's reminder run is done
# hook(on) -> {figure: count}: how the reminders of the expiry day ``on`` went (community)
POINTS_REMINDER_FIGURES = "franchise.points_reminder_figures"

_DUE = """
SELECT l.member_id, SUM(l.points) AS expired, MAX(l.id) AS last_lot FROM point_lots l
WHERE l.expires_on < :day AND l.member_id >= :lo AND l.member_id < :hi GROUP BY l.member_id
"""
_SPAN = "SELECT MIN(member_id), MAX(member_id) FROM point_lots WHERE expires_on < :day"
BATCH = 100_000  # member ids per statement and commit

_INSERT_TX = f"""
INSERT INTO point_transactions (idempotency_key, kind, customer_id, franchisee_id, order_id,
    refund_id, points, member_points, value_fen, business_date, memo, created_at)
SELECT 'expiry:' || :day_text || ':' || m.customer_id || ':' || due.last_lot, 'expiry',
    m.customer_id, NULL, NULL,
    NULL, due.expired - m.points_consumed, m.points_consumed - due.expired, :value,
    :day, 'expired', :now
FROM members m JOIN ({_DUE}) due ON due.member_id = m.id
WHERE due.expired > m.points_consumed
ON CONFLICT (idempotency_key) DO NOTHING
"""

_INSERT_ENTRIES = """
INSERT INTO point_entries (transaction_id, account_id, debit, credit)
SELECT tx.id, a.id, CASE WHEN :side = 'member' THEN tx.points ELSE 0 END,
    CASE WHEN :side = 'member' THEN 0 ELSE tx.points END
FROM point_transactions tx
JOIN point_accounts a ON a.code = CASE WHEN :side = 'member'
    THEN 'member:' || tx.customer_id ELSE :expired_code END
WHERE tx.id > :after AND tx.kind = 'expiry'
"""

_UPDATE_MEMBERS = f"""
UPDATE members SET
    points = points - CASE WHEN due.expired > points_consumed
        THEN due.expired - points_consumed ELSE 0 END,
    points_consumed = CASE WHEN points_consumed > due.expired
        THEN points_consumed - due.expired ELSE 0 END,
    updated_at = :now
FROM ({_DUE}) due WHERE due.member_id = members.id
"""


# PostgreSQL: the same five steps as one statement (data-modifying CTEs): the expired
# lots are summed once, the entries come from the transactions' RETURNING instead of a
# second scan, and the member account is found by its unique code.
_PG_EXPIRE = f"""
WITH due AS MATERIALIZED ({_DUE}),
m AS MATERIALIZED (
  SELECT m.id, m.customer_id, m.points_consumed, due.expired, due.last_lot
  FROM members m JOIN due ON due.member_id = m.id
),
upd AS (
  UPDATE members SET
    points = members.points - CASE WHEN m.expired > m.points_consumed
        THEN m.expired - m.points_consumed ELSE 0 END,
    points_consumed = CASE WHEN m.points_consumed > m.expired
        THEN m.points_consumed - m.expired ELSE 0 END,
    updated_at = :now
  FROM m WHERE members.id = m.id
),
tx AS (
  INSERT INTO point_transactions (idempotency_key, kind, customer_id, points, member_points,
      value_fen, business_date, memo, created_at)
  SELECT 'expiry:' || :day_text || ':' || m.customer_id || ':' || m.last_lot, 'expiry',
      m.customer_id,
      m.expired - m.points_consumed, m.points_consumed - m.expired, :value, :day,
      'expired', :now
  FROM m WHERE m.expired > m.points_consumed
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, customer_id, points
),
entries AS (
  INSERT INTO point_entries (transaction_id, account_id, debit, credit)
  SELECT tx.id, a.id, tx.points, 0
  FROM tx JOIN point_accounts a ON a.code = 'member:' || tx.customer_id
  UNION ALL
  SELECT tx.id, :expired_account, 0, tx.points FROM tx
),
gone AS (DELETE FROM point_lots
  WHERE expires_on < :day AND member_id >= :lo AND member_id < :hi)
SELECT count(*) FROM tx
"""


def _dated(sql: str):
    """``sql`` with ``:day`` bound as a date (a string on SQLite, a date on PostgreSQL)."""
    params = [bindparam("day", type_=Date)]
    if ":now" in sql:
        params.append(bindparam("now", type_=PointTransaction.__table__.c.created_at.type))
    return text(sql).bindparams(*params)


def expire(day: date | None = None, batch: int = BATCH) -> int:
    """Expire every lot that ended before ``day`` (default today, Shanghai), ``batch``
    member ids per statement, each batch its own commit (a member's row is locked
    seconds, not the whole run; a member is always settled whole, so a run stopped
    between batches is finished by the next); returns the members whose points expired."""
    day = day or shanghai_day()
    value = int(member_settings.config()["point_value_fen"])
    expired_code = account_code("expired", HQ)
    posted = 0
    try:
        expired_account = points_book._ensure_accounts({expired_code})[expired_code]
        lo, hi = db.session.execute(_dated(_SPAN), {"day": day}).one()
        db.session.commit()
        if lo is None:
            return 0
        params = {"day": day, "day_text": day.isoformat(), "value": value, "now": utcnow()}
        for first in range(int(lo), int(hi) + 1, batch):
            span = params | {"lo": first, "hi": first + batch}
            posted += _expire_span(span, expired_account, expired_code)
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return posted


def _expire_span(params: dict, expired_account: int, expired_code: str) -> int:
    """The five steps for the members with ids in ``[lo, hi)``; the caller commits."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '128MB'"))  # the sums in memory
        found = db.session.execute(
            _dated(_PG_EXPIRE), params | {"expired_account": expired_account}
        ).scalar()
        return int(found or 0)
    after = db.session.execute(text("SELECT COALESCE(MAX(id), 0) FROM point_transactions"))
    after_id = int(after.scalar() or 0)
    found = db.session.execute(_dated(_INSERT_TX), params).rowcount  # type: ignore[attr-defined]
    for side in ("member", "expired"):
        db.session.execute(
            text(_INSERT_ENTRIES),
            {"side": side, "after": after_id, "expired_code": expired_code},
        )
    db.session.execute(_dated(_UPDATE_MEMBERS), params)
    db.session.execute(
        PointLot.__table__.delete().where(
            PointLot.expires_on < params["day"],
            PointLot.member_id >= params["lo"],
            PointLot.member_id < params["hi"],
        )
    )
    return int(found or 0)


def expiring(member: Member, limit: int = 3) -> list[dict]:
    """The member's next expiries, soonest first: ``[{"points", "on"}]`` (the oldest
    points are spent first, so ``points_consumed`` comes off the earliest lots)."""
    consumed = member.points_consumed
    out = []
    for lot in db.session.scalars(
        select(PointLot).where(PointLot.member_id == member.id).order_by(PointLot.expires_on)
    ):
        left = lot.points - consumed
        consumed = max(0, consumed - lot.points)
        if left > 0:
            out.append({"points": left, "on": lot.expires_on})
        if len(out) >= limit:
            break
    return out


# What each member with a lot ending on ``:on`` loses then: the lots ending by that day
# less what was spent (spending takes the oldest points first), when above zero.
_SOON = """
SELECT m.id, m.customer_id, SUM(l.points) - m.points_consumed AS soon
FROM members m JOIN point_lots l ON l.member_id = m.id
WHERE l.expires_on <= :on AND m.points > 0 AND m.id > :after
  AND m.id IN (SELECT member_id FROM point_lots WHERE expires_on = :on AND member_id > :after)
GROUP BY m.id, m.customer_id, m.points_consumed
HAVING SUM(l.points) > m.points_consumed
ORDER BY m.id LIMIT :batch
"""


def remind(day: date | None = None, batch: int = 1000) -> int:
    """Hand the members whose points expire in ``reminder_days`` to ``POINTS_EXPIRING``,
    ``batch`` members per query (keyset by member id) and per call, then ``day`` to
    ``POINTS_REMINDED``; returns how many were handed on."""
    day = day or shanghai_day()
    on = day + timedelta(days=int(member_settings.config()["reminder_days"]))
    listeners = hooks(POINTS_EXPIRING)
    stmt = text(_SOON).bindparams(bindparam("on", type_=Date))
    handed = after = 0
    while True:
        rows = db.session.execute(stmt, {"on": on, "after": after, "batch": batch}).all()
        db.session.commit()  # nothing held while the listeners work
        if not rows:
            break
        chunk = [(int(cid), int(soon), on) for _, cid, soon in rows]
        for listener in listeners:
            listener(list(chunk))
        handed += len(chunk)
        after = int(rows[-1][0])
    for listener in hooks(POINTS_REMINDED):
        listener(day)
    return handed


def reminder_figures(day: date | None = None) -> dict | None:
    """The next expiry day (from ``day``, default today) with the members whose points
    end then and how their reminders went (each ``POINTS_REMINDER_FIGURES`` listener's
    figures); None when no points are due to expire."""
    day = day or shanghai_day()
    on = db.session.scalar(select(func.min(PointLot.expires_on)).where(PointLot.expires_on >= day))
    if on is None:
        return None
    holders = db.session.scalar(
        select(func.count(func.distinct(PointLot.member_id))).where(PointLot.expires_on == on)
    )
    out: dict = {"on": on, "holders": int(holders or 0)}
    for listener in hooks(POINTS_REMINDER_FIGURES):
        out |= listener(on)
    return out
