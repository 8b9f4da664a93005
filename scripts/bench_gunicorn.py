"""gunicorn's settings against Siyu's ratio to the ceiling: each setting serves both Siyu
and the bare-Flask ceiling (as ``scripts/bench_http.py`` does: the ratio is what
compares), on one seeded database, one setting after the other.

For each setting (``gthread:WxT``: W workers of T threads; ``sync:W``: W sync workers)
it starts both servers, runs each scenario with wrk for ``--seconds`` with each
process's CPU per request (``scripts/bench_cpu.py``), stops them, and prints one JSON
object: per setting, each scenario's req/s, p99, ratio to that setting's ceiling and CPU
split. On a shared machine run it twice with the settings in the other order. Loopback
only; not run by ``scripts/bench``.

    python scripts/bench_gunicorn.py --database-url postgresql+psycopg://... \\
        --redis-url redis://127.0.0.1:6399/5 --settings gthread:4x4,sync:4 --seconds 5
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_http import (  # noqa: E402
    VENV_BIN,
    _background,
    _gunicorn,
    _wait_http,
    add_ceiling_ratios,
    app_bench_parser,
    migrate_sandbox_seed,
    production_env,
    run_scenario,
    serve_and_prepare,
    stop_all,
)


def parse_setting(text: str) -> tuple[str, int, int]:
    """``gthread:4x4`` → ("gthread", 4, 4); ``sync:4`` → ("sync", 4, 1)."""
    kind, _, size = text.partition(":")
    if kind == "sync":
        return kind, int(size), 1
    if kind != "gthread":
        raise ValueError(f"{text}: gthread:WxT or sync:W")
    workers, _, threads = size.partition("x")
    return kind, int(workers), int(threads)


def main() -> int:
    parser = app_bench_parser(__doc__, port=5390)
    parser.add_argument("--settings", default="gthread:4x4,sync:4")
    parser.add_argument("--scenarios", default="ceiling,order_create,mp_session,guide_today")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    (ROOT / "bench-results").mkdir(exist_ok=True)
    env = production_env(args.database_url, args.redis_url, args.port)
    sandbox = migrate_sandbox_seed(env, args.port + 2)
    scheduler = _background([str(VENV_BIN / "flask"), "scheduler", "run"], "scheduler", env)
    database = args.database_url.rsplit("/", 1)[-1]
    base, ceiling_base = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "settings": {}}
    table: dict | None = None
    try:
        for setting in args.settings.split(","):
            kind, workers, threads = parse_setting(setting)
            siyu = _gunicorn("wsgi:build_app()", args.port, workers, threads, env, kind)
            ceiling = _gunicorn(
                "scripts.bench_ceiling:app", args.port + 1, workers, threads, env, kind
            )
            sessions = {siyu.pid: "siyu", ceiling.pid: "ceiling", sandbox.pid: "sandbox"}
            cpu = ({**sessions, scheduler.pid: "scheduler"}, database)
            try:
                if table is None:  # the first setting prepares; the rest reuse its tokens
                    table = serve_and_prepare(base, ceiling_base, args.database_url, 10, 10)[1]
                else:
                    _wait_http(base + "/healthz", timeout=120)
                    _wait_http(ceiling_base + "/ping")
                runs = {
                    name: run_scenario(table, name, args.seconds, args.connections, cpu)
                    for name in args.scenarios.split(",")
                }
            finally:
                stop_all(siyu, ceiling)
            add_ceiling_ratios(runs)
            results["settings"][setting] = runs
    finally:
        stop_all(sandbox, scheduler)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
