"""Benchmark: the nightly points expiry over N members on PostgreSQL (goal: 1,000,000
members in under 60 s).

Builds the app on ``--database-url`` (tables created when missing), writes N customers
and members in a few set-based statements, each member holding one lot that expired
yesterday and (every other member) one that has not, with some points already spent
(``points_consumed``), then times ``franchise.services.points_expiry.expire`` — one
statement per batch of 100,000 member ids, each batch its own commit — and checks that
every member lost exactly what was left of the expired lot; then times the reminder
(``remind``: the members whose later lot ends in ``reminder_days``, found by one query
per 1,000 members). Prints one JSON line. The rows it wrote are deleted afterwards
unless ``--keep``.

    python scripts/bench_points_expiry.py --members 1000000 \
        --database-url postgresql+psycopg://siyu:siyu@127.0.0.1:5432/siyu_bench_points
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.bench_baseline import verdict  # noqa: E402
from scripts.bench_ledger import build  # noqa: E402

SEED_SQL = (
    """INSERT INTO customers (openid, nickname, franchisee_id, assignment_rule, bound_at,
        order_count, monetary_fen, created_at)
    SELECT 'oexp' || :run || '-' || g, '', :fid, 'hq_pool', now(), 0, 0, now()
    FROM generate_series(1, :n) g""",
    """INSERT INTO members (customer_id, number, level, level_since, spend_12m_fen, points,
        points_consumed, created_at, updated_at)
    SELECT c.id, 'M' || lpad(c.id::text, 9, '0'), 'regular', now(), 0,
        100 + c.id % 400 + CASE WHEN c.id % 2 = 0 THEN 50 ELSE 0 END, c.id % 150, now(), now()
    FROM customers c WHERE c.openid LIKE 'oexp' || :run || '-%'""",
    """INSERT INTO point_accounts (code, kind, customer_id, created_at)
    SELECT 'member:' || m.customer_id, 'member', m.customer_id, now()
    FROM members m JOIN customers c ON c.id = m.customer_id
    WHERE c.openid LIKE 'oexp' || :run || '-%'""",
    # the expired lot holds points + consumed − the later lot (50 for every other member)
    """INSERT INTO point_lots (member_id, expires_on, points)
    SELECT m.id, :expired, 100 + m.customer_id % 400 + m.customer_id % 150
    FROM members m JOIN customers c ON c.id = m.customer_id
    WHERE c.openid LIKE 'oexp' || :run || '-%'""",
    """INSERT INTO point_lots (member_id, expires_on, points)
    SELECT m.id, :later, 50
    FROM members m JOIN customers c ON c.id = m.customer_id
    WHERE c.openid LIKE 'oexp' || :run || '-%' AND m.customer_id % 2 = 0""",
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the rows written")
    return parser.parse_args()


def seed(app, count: int) -> tuple[str, int]:
    from sqlalchemy import Date, bindparam, text

    from app.clock import shanghai_day
    from app.extensions import db
    from franchise.models import Franchisee, Region

    run = secrets.token_hex(3).upper()
    today = shanghai_day()
    with app.app_context():
        region = Region(code=f"X{run}", name=f"Expiry {run}")
        db.session.add(region)
        db.session.flush()
        franchisee = Franchisee(
            name=f"Expiry {run}", region_id=region.id, sub_mch_id=f"19{secrets.randbelow(10**8)}"
        )
        db.session.add(franchisee)
        db.session.flush()
        params = {
            "run": run,
            "fid": franchisee.id,
            "n": count,
            "expired": today - timedelta(days=1),
            "later": today + timedelta(days=300),
        }
        for sql in SEED_SQL:
            dates = [bindparam(k, type_=Date) for k in ("expired", "later") if f":{k}" in sql]
            stmt = text(sql).bindparams(*dates)
            db.session.execute(stmt, {k: v for k, v in params.items() if f":{k}" in sql})
        db.session.commit()
        db.session.execute(text("ANALYZE members; ANALYZE point_lots; ANALYZE point_accounts"))
        db.session.commit()
        return run, franchisee.id


def check(app, run: str) -> int:
    """Members whose balance is not what was left of the later lot (should be none)."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        wrong = db.session.execute(
            text(
                """SELECT count(*) FROM members m JOIN customers c ON c.id = m.customer_id
                WHERE c.openid LIKE 'oexp' || :run || '-%'
                  AND m.points <> CASE WHEN m.customer_id % 2 = 0 THEN 50 ELSE 0 END"""
            ),
            {"run": run},
        ).scalar()
        return int(wrong or 0)


def cleanup(app, run: str, fid: int) -> None:
    """Delete the run's rows by its customers' id range (joins, not ``IN`` lists)."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        lo, hi = db.session.execute(
            text("SELECT min(id), max(id) FROM customers WHERE franchisee_id = :fid"),
            {"fid": fid},
        ).one()
        span = {"lo": lo or 0, "hi": hi or -1}
        for sql in (
            """DELETE FROM point_entries e USING point_transactions t
               WHERE e.transaction_id = t.id AND t.customer_id BETWEEN :lo AND :hi""",
            "DELETE FROM point_transactions WHERE customer_id BETWEEN :lo AND :hi",
            "DELETE FROM point_accounts WHERE customer_id BETWEEN :lo AND :hi",
            """DELETE FROM point_lots l USING members m
               WHERE l.member_id = m.id AND m.customer_id BETWEEN :lo AND :hi""",
            """DELETE FROM member_level_changes c USING members m
               WHERE c.member_id = m.id AND m.customer_id BETWEEN :lo AND :hi""",
            "DELETE FROM members WHERE customer_id BETWEEN :lo AND :hi",
            "DELETE FROM customers WHERE id BETWEEN :lo AND :hi",
        ):
            db.session.execute(text(sql), span)
        db.session.execute(text("DELETE FROM franchisees WHERE id = :fid"), {"fid": fid})
        db.session.execute(text("DELETE FROM regions WHERE code = :code"), {"code": f"X{run}"})
        db.session.commit()


def main() -> None:
    args = parse_args()
    app = build(args.database_url)
    started = time.perf_counter()
    run, fid = seed(app, args.members)
    seeded = time.perf_counter() - started
    from app.clock import shanghai_day
    from franchise.services import member_settings, points_expiry

    with app.app_context():
        started = time.perf_counter()
        expired = points_expiry.expire()
        seconds = time.perf_counter() - started
        reminder_day = (
            shanghai_day()
            + timedelta(days=300)
            - timedelta(days=int(member_settings.config()["reminder_days"]))
        )
        started = time.perf_counter()
        reminded = points_expiry.remind(reminder_day)
        remind_seconds = time.perf_counter() - started
    wrong = check(app, run)
    if not args.keep:
        cleanup(app, run, fid)
    projected = seconds * 1_000_000 / max(1, args.members)  # linear, for a small run
    out = {
        "members": args.members,
        "projected_1m_seconds": round(projected, 1),
        "expired": expired,
        "seconds": round(seconds, 2),
        "members_per_s": round(args.members / seconds) if seconds else None,
        "seed_seconds": round(seeded, 1),
        "wrong_balances": wrong,
        "reminded": reminded,  # every other member holds the later lot
        "remind_seconds": round(remind_seconds, 2),
        "goal": "1,000,000 members in under 60 s",
        **verdict(
            args.members,
            expired if wrong == 0 else 0,
            seconds * 1_000_000 / max(1, args.members) < 60,
        ),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
