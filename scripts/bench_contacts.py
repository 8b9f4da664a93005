"""Benchmark: a full WeCom contact sync of G guides × C contacts against the emulator.

A fresh database (SQLite file in a temp dir, or ``--database-url``) gets one region, a
franchisee, stores and G guides; the in-process WeCom sandbox gets C contacts per guide.
Timed: ``community.services.contact_sync.sync_guides`` — one resumable run per guide,
``externalcontact/batch/get_by_user`` pages of 100 (WeCom's maximum ``limit``), each page
upserted in one commit — with the client-side pacer at WeCom's call limit and the sandbox
enforcing the same limit (``WECOM_RATE_PER_MINUTE``, 10,000 calls per API per minute;
45009 above it, which the sync waits out). Prints one JSON line: the time, the calls and
their rate against the limit, contacts and follows written, and whether every contact
arrived once.

    python scripts/bench_contacts.py                      # 10,000 guides × 100 (1,000,000)
    python scripts/bench_contacts.py --guides 50 --contacts 100
    python scripts/bench_contacts.py --database-url postgresql+psycopg://siyu:siyu@127.0.0.1:5432/bench

At WeCom's limit the calls alone take G × ceil(C / 100) / 10,000 minutes (1 minute for
10,000 guides × 100 contacts); the rest is writing the rows. Setup is not timed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.bench_baseline import verdict  # noqa: E402
from scripts.bench_setup import add_wecom_options, bench_url, insert_org, wecom_bench_app  # noqa: E402

GUIDES_PER_STORE = 10
LIMIT_PER_MINUTE = 10_000


def build(app, guides: int, contacts: int) -> None:
    """Organisation and guides in the database, their contacts in the sandbox; not timed."""
    from app.extensions import db
    from app.schema_reset import fresh_tables
    from app.wechat.sandbox import sandbox_state
    from app.wechat.sandbox.wecom_contacts import world

    with app.app_context():
        fresh_tables(db.engine)
        insert_org(db.session, guides, GUIDES_PER_STORE)
        db.session.commit()
    data = world(sandbox_state(app))  # written directly: seeding is not what is measured
    created = 1_700_000_000
    for g in range(guides):
        userid = f"bench{g:05d}"
        ids = []
        for c in range(contacts):
            external_userid = f"wmB{g:05d}{c:04d}"
            data["contacts"][external_userid] = {
                "external_contact": {
                    "external_userid": external_userid,
                    "name": f"客户{g}-{c}",
                    "avatar": "",
                    "type": 1,
                    "gender": 0,
                    "unionid": f"ouB{g:05d}{c:04d}",
                },
                "follow_user": [
                    {"userid": userid, "remark": "", "description": "", "createtime": created}
                ],
            }
            ids.append(external_userid)
        data["by_user"][userid] = ids


def run(app, limit: int) -> dict:
    from sqlalchemy import func, select

    from app.extensions import db
    from community.models.contacts import ContactFollow, WecomContact
    from community.services.contact_sync import sync_guides

    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    t0 = time.perf_counter()
    with app.app_context():
        runs = sync_guides(calls_per_minute=limit, sleep=sleep)
        calls = sum(r.calls for r in runs)
        failed = sum(1 for r in runs if r.status != "done")
    seconds = time.perf_counter() - t0
    with app.app_context():
        contacts = db.session.scalar(select(func.count()).select_from(WecomContact))
        follows = db.session.scalar(select(func.count()).select_from(ContactFollow))
    rate = calls / seconds * 60 if seconds else 0.0
    return {
        "sync_seconds": round(seconds, 2),
        "batch_get_by_user_calls": calls,
        "calls_per_minute": round(rate),
        "rate_limit_per_minute": limit,
        "rate_vs_limit": round(rate / limit, 3),
        "pacer_and_45009_waits": len(waits),
        "waited_seconds": round(sum(waits), 1),
        "contacts_written": contacts,
        "follows_written": follows,
        "failed_runs": failed,
        "contacts_per_second": round(follows / seconds) if seconds else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guides", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=100, help="contacts per guide")
    add_wecom_options(
        parser,
        LIMIT_PER_MINUTE,
        "WECOM_RATE_PER_MINUTE the sandbox enforces and the sync keeps under",
    )
    args = parser.parse_args()
    url = bench_url(args.database_url)
    app = wecom_bench_app(url, args.rate_per_minute)
    setup = time.perf_counter()
    build(app, args.guides, args.contacts)
    setup_s = time.perf_counter() - setup
    result = run(app, args.rate_per_minute)
    expected = args.guides * args.contacts
    floor_minutes = args.guides * math.ceil(args.contacts / 100) / args.rate_per_minute
    print(
        json.dumps(
            {
                "benchmark": "community_contact_sync",
                "database": url.split(":", 1)[0].split("+", 1)[0],
                "guides": args.guides,
                "contacts_per_guide": args.contacts,
                "setup_seconds": round(setup_s, 1),
                "calls_floor_minutes_at_limit": round(floor_minutes, 3),
                **result,
                **verdict(
                    expected,
                    result["follows_written"],
                    result["failed_runs"] == 0 and result["contacts_written"] == expected,
                ),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
