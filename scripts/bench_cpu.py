"""Where an HTTP benchmark's CPU goes: CPU seconds of each process of the topology read
from ``/proc`` before and after a fixed run, divided by the requests it served.

The groups: the app's gunicorn (master and workers: one process session, as
``scripts/bench_http.py`` starts it), the ceiling's gunicorn, the emulator (WeChat's
sandbox: a login's ``code2session``), the scheduler, the PostgreSQL backends of the
bench's own database, PostgreSQL's shared processes (WAL writer, checkpointer,
autovacuum…), Redis, the load generator (wrk: this process's waited children) and the
whole machine. PostgreSQL's shared processes and Redis serve every database and Redis db
on the machine, so on a shared machine they include other users' work (``other`` is the
machine's busy time that no group above accounts for). A process that exits during the
run loses its CPU (gunicorn keeps its workers; the pool keeps its connections).
Linux only; CPU is counted in clock ticks (10 ms), so runs of a few thousand requests.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")
# postgres's own processes (no database): "postgres: 15/main: walwriter" and the like
_PG_SHARED = ("checkpointer", "background", "walwriter", "autovacuum", "logical", "archiver")


def _stat(pid: int) -> tuple[int, float] | None:
    """(session id, CPU seconds user + system) of ``pid``, or None when it is gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[3]), (int(fields[11]) + int(fields[12])) / TICK


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot (all but idle and iowait)."""
    values = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICK


def _group_of(pid: int, sessions: dict[int, str], database: str) -> str | None:
    stat = _stat(pid)
    if stat is None:
        return None
    if stat[0] in sessions:
        return sessions[stat[0]]
    cmd = _cmdline(pid)
    if cmd.startswith("redis-server"):
        return "redis"
    if cmd.startswith("postgres: "):
        words = cmd.split(": ", 2)[-1].split()
        if len(words) >= 2 and words[1] == database:
            return "postgres_backends"
        if words and words[0] in _PG_SHARED:
            return "postgres_shared"
        return None  # another database's backend
    if "/postgres " in cmd and " -D " in cmd:  # the postmaster
        return "postgres_shared"
    return None


@dataclass
class Snapshot:
    """CPU seconds per pid per group, the load generator's and the machine's, at a moment."""

    pids: dict[str, dict[int, float]] = field(default_factory=dict)
    generator: float = 0.0
    machine: float = 0.0


def snapshot(sessions: dict[int, str], database: str) -> Snapshot:
    """Every process's CPU now; ``sessions`` names process sessions (gunicorn's
    ``start_new_session``: the session id is the master's pid) by group."""
    snap = Snapshot()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        group = _group_of(pid, sessions, database)
        stat = _stat(pid) if group else None
        if group and stat:
            snap.pids.setdefault(group, {})[pid] = stat[1]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    snap.generator = children.ru_utime + children.ru_stime
    snap.machine = _machine_busy()
    return snap


def split(before: Snapshot, after: Snapshot, requests: int) -> dict[str, float]:
    """CPU milliseconds per request of each group between two snapshots (a pid that
    appeared in between counts from zero), the load generator's, the machine's, and
    ``other``: the machine's busy time no group accounts for."""
    if requests <= 0:
        return {}
    out: dict[str, float] = {}
    for group, pids in after.pids.items():
        earlier = before.pids.get(group, {})
        out[group] = sum(cpu - earlier.get(pid, 0.0) for pid, cpu in pids.items())
    out["wrk"] = after.generator - before.generator
    machine = after.machine - before.machine
    out["other"] = max(0.0, machine - sum(out.values()))
    out["machine"] = machine
    return {name: round(seconds * 1000 / requests, 3) for name, seconds in sorted(out.items())}
