"""What the WeCom benchmarks share: the app they build (a fresh SQLite file in a temp dir
unless a database URL is given) and the organisation they time against — one region,
one franchisee, stores of ``guides_per_store`` guides each, guides ``bench00000`` … with
ids 1 … G (bulk inserts, not timed)."""

from __future__ import annotations

import os
import tempfile


def bench_url(url: str | None) -> str:
    """``url``, or a fresh SQLite file in a temp dir."""
    if url is not None:
        return url
    tmp = tempfile.mkdtemp(prefix="siyu-bench-")
    return f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}"


def bench_app(url: str, **overrides):
    """The app a benchmark runs: embedded mode, no Redis, the sandbox mounted in-process."""
    from wsgi import build_app

    return build_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "SIYU_ENV": "embedded",
            "SANDBOX_STATE_FILE": "",
            "REDIS_URL": None,
            **overrides,
        }
    )


def add_wecom_options(parser, rate_per_minute: int, rate_help: str) -> None:
    """The WeCom benchmarks' options: ``--rate-per-minute`` (the ``WECOM_RATE_PER_MINUTE``
    the sandbox enforces) and ``--database-url`` (``bench_url``'s)."""
    parser.add_argument("--rate-per-minute", type=int, default=rate_per_minute, help=rate_help)
    parser.add_argument(
        "--database-url", default=None, help="default: a fresh SQLite file in a temp dir"
    )


def wecom_bench_app(url: str, rate_per_minute: int):
    """``bench_app`` on ``url`` with the sandbox on real time and WeCom's limit at
    ``rate_per_minute``."""
    return bench_app(url, SANDBOX_TIME_SCALE=1.0, WECOM_RATE_PER_MINUTE=rate_per_minute)


def insert_org(session, guides: int, guides_per_store: int) -> int:
    """Region 1, franchisee 1, stores 1 … S and guides 1 … G (``bench%05d`` WeCom userids);
    not committed. Returns the number of stores."""
    from sqlalchemy import insert

    from franchise.models import Franchisee, Guide, Region, Store

    session.execute(insert(Region), [{"id": 1, "code": "B", "name": "Bench"}])
    session.execute(
        insert(Franchisee),
        [
            {
                "id": 1,
                "name": "Bench",
                "region_id": 1,
                "sub_mch_id": "1900000001",
                "profit_share_bps": 1000,
            }
        ],
    )
    n_stores = max(1, guides // guides_per_store)
    session.execute(
        insert(Store),
        [
            {
                "id": i + 1,
                "franchisee_id": 1,
                "region_id": 1,
                "code": f"S{i}",
                "name": f"店{i}",
                "city": "上海",
                "address": "-",
                "latitude": 31.2,
                "longitude": 121.4,
            }
            for i in range(n_stores)
        ],
    )
    session.execute(
        insert(Guide),
        [
            {
                "id": g + 1,
                "store_id": g % n_stores + 1,
                "franchisee_id": 1,
                "name": f"G{g}",
                "wecom_userid": f"bench{g:05d}",
            }
            for g in range(guides)
        ],
    )
    return n_stores
