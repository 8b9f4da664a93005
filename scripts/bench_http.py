"""HTTP load benchmarks: gunicorn serving Siyu on PostgreSQL + Redis, driven by wrk.

Starts Siyu (production mode, sandbox WeChat mounted in each worker) and a bare Flask
JSON app with the same gunicorn settings (the ceiling), runs each scenario for a fixed
time at fixed concurrency, and prints one JSON object with req/s and p50/p99 per
scenario plus each one's ratio to the ceiling. Used by ``scripts/bench``; loopback only.

    python scripts/bench_http.py --database-url postgresql+psycopg://... \
        --redis-url redis://127.0.0.1:6399/5 --seconds 30 --connections 64
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "scripts" / "bench_lua"
VENV_BIN = Path(sys.executable).parent


def _wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


def _gunicorn(target: str, port: int, workers: int, threads: int, env: dict) -> subprocess.Popen:
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
        target,
    ]
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(ROOT / "bench-results" / f"gunicorn-{port}.log", "w"),
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def run_wrk(url: str, script: str, seconds: int, connections: int, env_extra=None) -> dict:
    """Run wrk for ``seconds`` at ``connections`` and parse the JSON line of report.lua."""
    env = dict(os.environ, BENCH_LUA_DIR=str(LUA), **(env_extra or {}))
    cmd = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(LUA / script),
        url,
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"wrk gave no result: {out.stdout[-500:]} {out.stderr[-500:]}")


def _post_json(url: str, body: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=5390)
    parser.add_argument("--scenarios", default="ceiling,healthz,stores,mp_session")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print(json.dumps({"error": "wrk is not installed (apt-get install wrk)"}))
        return 1
    (ROOT / "bench-results").mkdir(exist_ok=True)
    env = dict(
        os.environ,
        SIYU_ENV="production",
        SIYU_DATABASE_URL=args.database_url,
        SIYU_REDIS_URL=args.redis_url,
        SIYU_SECRET_KEY="bench-secret-key",
        SIYU_WECHAT_MODE="sandbox",
        SIYU_LOGIN_RATE_LIMIT="1000000",
        FLASK_APP="wsgi",
    )
    flask = str(VENV_BIN / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([flask, "siyu", "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    siyu_port, ceiling_port = args.port, args.port + 1
    siyu = _gunicorn("wsgi:build_app()", siyu_port, args.workers, args.threads, env)
    ceiling = _gunicorn("scripts.bench_ceiling:app", ceiling_port, args.workers, args.threads, env)
    base = f"http://127.0.0.1:{siyu_port}"
    results: dict = {
        "machine": f"{os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "seconds": args.seconds,
        "connections": args.connections,
        "gunicorn": f"-w {args.workers} -k gthread --threads {args.threads}",
        "scenarios": {},
    }
    try:
        _wait_http(base + "/healthz")
        _wait_http(f"http://127.0.0.1:{ceiling_port}/ping")
        scenarios = {
            "ceiling": (f"http://127.0.0.1:{ceiling_port}/ping", "get.lua", {}),
            "healthz": (base + "/healthz", "get.lua", {}),
            "stores": (
                base + "/api/v1/mp/stores?latitude=31.2297&longitude=121.4552",
                "get.lua",
                {},
            ),
            "mp_session": (base + "/api/v1/mp/session", "mp_session.lua", {}),
        }
        for name in args.scenarios.split(","):
            url, script, extra = scenarios[name]
            results["scenarios"][name] = run_wrk(url, script, args.seconds, args.connections, extra)
        ceiling_rps = results["scenarios"].get("ceiling", {}).get("rps")
        if ceiling_rps:
            for data in results["scenarios"].values():
                data["ratio_to_ceiling"] = round(data["rps"] / ceiling_rps, 3)
    finally:
        _stop(siyu)
        _stop(ceiling)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
