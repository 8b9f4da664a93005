"""Baselines measured in the same run as a benchmark, and the rule for saying a goal is met.

Absolute times on these machines vary two- to threefold from day to day, so every figure
is reported beside a baseline taken minutes apart on the same machine: pgbench's TPC-B
rate for writes, ``pgbench -i`` for bulk loads, WeCom's call limit for the push day.
``verdict`` refuses to call a goal met when the benchmark did no work (a run of zero
groups once printed ``"goal_met": true``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time


def _exe(binary: str | None = None) -> str:
    """pgbench from the argument, PATH, or PostgreSQL 15's bin directory."""
    if binary:
        return binary
    found = shutil.which("pgbench")
    if found:
        return found
    fallback = "/usr/lib/postgresql/15/bin/pgbench"
    return fallback if os.path.exists(fallback) else "pgbench"


def _scratch(url: str, suffix: str) -> tuple[list[str], str, dict]:
    """Create ``<db>_<suffix>`` if missing; return pgbench's connection args, name, env."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    target = f"{parsed.database}_{suffix}"
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target,)).fetchone():
            conn.execute(f'CREATE DATABASE "{target}"')
    common = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    common += ["-U", parsed.username or "postgres"]
    return common, target, dict(os.environ, PGPASSWORD=parsed.password or "")


def pgbench_tps(
    url: str, clients: int, seconds: int, binary: str | None = None, scale: int = 1
) -> float:
    """pgbench's TPC-B-like rate (``-s scale``, ``-c clients -j 2``) in ``<db>_pgbench``."""
    common, target, env = _scratch(url, "pgbench")
    exe = _exe(binary)
    subprocess.run(
        [exe, "-i", "-q", "-s", str(scale), *common, target],
        check=True,
        env=env,
        capture_output=True,
    )
    out = subprocess.run(
        [exe, "-c", str(clients), "-j", "2", "-T", str(seconds), *common, target],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([0-9.]+) \((?:without|excluding)", out) or re.search(
        r"tps = ([0-9.]+)", out
    )
    if match is None:
        raise RuntimeError(f"pgbench printed no rate: {out[-300:]}")
    return float(match.group(1))


def pgbench_load_seconds(url: str, scale: int, binary: str | None = None) -> float:
    """Seconds ``pgbench -i -s scale`` takes (scale 10 = 1,000,000 account rows)."""
    common, target, env = _scratch(url, "pgload")
    started = time.perf_counter()
    subprocess.run(
        [_exe(binary), "-i", "-q", "-s", str(scale), *common, target],
        check=True,
        env=env,
        capture_output=True,
    )
    return time.perf_counter() - started


def verdict(work_expected: int, work_done: int, met: bool) -> dict:
    """``goal_met`` only when every unit of work asked for was done and the goal held."""
    did_work = work_expected > 0 and work_done == work_expected
    out: dict = {
        "work_expected": work_expected,
        "work_done": work_done,
        "goal_met": did_work and met,
    }
    if not did_work:
        out["refused"] = f"did {work_done} of {work_expected} units of work: no goal is met"
    return out


def ratio_line(result: dict) -> str:
    """One benchmark's rate beside pgbench's from the same run, as the run's summary line."""
    ratio = result.get("ratio_to_pgbench")
    return (
        f"{result.get('benchmark')}: {result.get('notifies_per_s')} notifies/s, pgbench "
        f"{result.get('pgbench_tps')} tps, ratio {ratio} (goal {result.get('goal_ratio')}): "
        + ("met" if result.get("goal_met") else "NOT met")
    )


def main(argv: list[str] | None = None) -> int:
    """``--ratio-of FILE``: print the ratio line of the last JSON line in FILE."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=ratio_line.__doc__)
    parser.add_argument("--ratio-of", required=True, help="a bench-results/*.json file")
    args = parser.parse_args(argv)
    with open(args.ratio_of, encoding="utf-8") as handle:
        lines = [line for line in handle if line.lstrip().startswith("{")]
    if not lines:
        print(f"{args.ratio_of}: no result")
        return 1
    print(ratio_line(json.loads(lines[-1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
