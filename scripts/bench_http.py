"""HTTP load benchmarks: gunicorn serving Siyu on PostgreSQL + Redis, driven by wrk.

Starts Siyu (production mode; WeChat is the sandbox as its own process, as in
``scripts/prod-local``) and a bare Flask JSON app with the same gunicorn settings (the
ceiling), runs each scenario for a fixed time at fixed concurrency, and prints one JSON
object with req/s and p50/p99 per scenario, its ratio to the ceiling and each write's to
pgbench. The writes (``scripts/bench_writes.py``): login, order create over 200 products
(``order_create_one_product``: all on one stock row), a live order, pay notify and HQ's
refund request (first deliveries, first refunds). ``--cpu-split``: each scenario's CPU ms
per request by process (``scripts/bench_cpu.py``). Used by ``scripts/bench``; loopback.

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
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import bench_cpu  # noqa: E402
from scripts.bench_baseline import pgbench_tps  # noqa: E402
from scripts.bench_openloop import WRITES, open_loop_writes  # noqa: E402
from scripts.bench_writes import (  # noqa: E402
    prepare_writes,
    refund_pool,
    spread_order_file,
    store_orders,
)

LUA = ROOT / "scripts" / "bench_lua"
VENV_BIN = Path(sys.executable).parent
WRK_THREADS = 2  # wrk's -t (post_lines.lua strides its lines by it)
BENCH_PASSWORD = "siyu-bench-demo"  # the seeded accounts' password in production mode


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


def _gunicorn(
    target: str, port: int, workers: int, threads: int, env: dict, worker_class: str = "gthread"
) -> subprocess.Popen:
    """``target`` under gunicorn as the Procfile's ``web:`` line runs it (``worker_class``
    ``gthread`` with ``threads`` per worker, or ``sync``: one request at a time, no
    keep-alive)."""
    cmd = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-k", worker_class]
    if worker_class == "gthread":
        cmd += ["--threads", str(threads)]
    cmd += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048", target]
    return _background(cmd, f"gunicorn-{port}", env)


def _background(cmd: list[str], name: str, env: dict) -> subprocess.Popen:
    """A helper process of the topology (sandbox, scheduler), logging to bench-results/."""
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(ROOT / "bench-results" / f"{name}.log", "w"),
        start_new_session=True,
    )


def app_bench_parser(doc: str, port: int) -> argparse.ArgumentParser:
    """The arguments of a benchmark that serves the app: the database and Redis it runs
    on (both required) and the port it listens on (``port`` unless told)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--port", type=int, default=port)
    return parser


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def run_wrk(url: str, script: str, seconds: int, connections: int, env_extra=None) -> dict:
    """Run wrk for ``seconds`` at ``connections`` and parse the JSON line of report.lua."""
    env = dict(os.environ, BENCH_LUA_DIR=str(LUA), WRK_THREADS=str(WRK_THREADS))
    env.update(env_extra or {})
    cmd = [
        "wrk",
        "-t",
        str(WRK_THREADS),
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


def _login_cookie(base: str, username: str, password: str) -> str:
    """Sign in through the mobile login form; returns the session cookie header value."""
    import http.cookiejar
    import re

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/m/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": token}
    ).encode()
    opener.open(base + "/m/login", data=form, timeout=10)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def production_env(database_url: str, redis_url: str, port: int) -> dict:
    """The environment of Siyu in production mode on loopback: the sandbox as its own
    process at ``port + 2``, notify URL and app URL at ``port``."""
    return dict(
        os.environ,
        SIYU_ENV="production",
        SIYU_DATABASE_URL=database_url,
        SIYU_REDIS_URL=redis_url,
        SIYU_SECRET_KEY="bench-secret-key",
        SIYU_WECHAT_MODE="sandbox",
        SIYU_ALLOW_SANDBOX="1",
        SIYU_SANDBOX_URL=f"http://127.0.0.1:{port + 2}",
        SIYU_APP_URL=f"http://127.0.0.1:{port}",
        SIYU_PAY_NOTIFY_URL=f"http://127.0.0.1:{port}/api/v1/pay/notify",
        SIYU_LOGIN_RATE_LIMIT="1000000",
        SIYU_DEMO_PASSWORD=BENCH_PASSWORD,  # production seeding refuses siyu-demo
        SIYU_SECURE_COOKIES="0",  # plain HTTP on loopback
        FLASK_APP="wsgi",
    )


def migrate_sandbox_seed(env: dict, sandbox_port: int) -> subprocess.Popen:
    """Upgrade the schema, start the sandbox (the demo seed logs customers in and pays
    through it) and seed the demo; returns the running sandbox."""
    flask = str(VENV_BIN / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    sandbox = _background([flask, "sandbox", "run", "--port", str(sandbox_port)], "sandbox", env)
    try:
        _wait_http(f"http://127.0.0.1:{sandbox_port}/_sandbox/control/state")
        subprocess.run(
            [flask, "siyu", "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True
        )
    except BaseException:
        _stop(sandbox)
        raise
    return sandbox


# The Today page reads the guide's store's orders (its hand-over count walks them), and
# the bench's customer orders at guide01's store: after the writes the page costs more
# the faster they ran. ``guide_today`` runs on the demo's data, before any write;
# ``guide_today_after_writes`` after them, with the store's order count beside it.
SCENARIOS = (
    "ceiling,healthz,stores,products,campaigns,groups,guide_today,mp_session,order_create,"
    "live_order_create,pay_notify,order_create_one_product,refund_request,"
    "guide_today_after_writes"
)


def scenario_table(
    base: str, ceiling: str, database_url: str, writes: dict, refunds: int = 0
) -> dict:
    """Each scenario's URL, wrk script and script environment (a callable: made when the
    scenario is about to run). ``writes`` is ``prepare_writes``'s answer with the guide's
    session ``cookie`` and HQ's bearer ``staff`` token added; ``refunds``: the paid
    orders the refund scenario may refund (``refund_pool``)."""

    def spread() -> dict:  # the products are added just before (the product list is read)
        writes.setdefault(
            "order_spread_file", spread_order_file(database_url, writes["order_body"])
        )
        return {"TOKEN": writes["token"], "LINES_FILE": writes["order_spread_file"]}

    def paid_orders() -> dict:
        if "refund_file" not in writes:
            refund_pool(database_url, writes, refunds)
        return {"TOKEN": writes["staff"], "LINES_FILE": writes["refund_file"]}

    def busy_store() -> dict:
        writes["store_orders"] = store_orders(database_url, "guide01")
        return {"COOKIE": writes["cookie"]}

    return {
        "ceiling": (f"{ceiling}/ping", "get.lua", {}),
        "healthz": (base + "/healthz", "get.lua", {}),
        "stores": (base + "/api/v1/mp/stores?latitude=31.2297&longitude=121.4552", "get.lua", {}),
        # the reads: the mini-program's product list, HQ's campaign and group lists
        "products": (base + "/api/v1/mp/products", "get.lua", {"TOKEN": writes["token"]}),
        "campaigns": (base + "/api/v1/campaigns", "get.lua", {"TOKEN": writes["staff"]}),
        "groups": (base + "/api/v1/groups", "get.lua", {"TOKEN": writes["staff"]}),
        "mp_session": (base + "/api/v1/mp/session", "mp_session.lua", {}),
        # one product of SPREAD_PRODUCTS per request, in turn: no one stock row is hot
        "order_create": (base + "/api/v1/mp/orders", "post_lines.lua", spread),
        # every request the same product: its stock row's lock is part of the figure
        "order_create_one_product": (
            base + "/api/v1/mp/orders",
            "post_json.lua",
            {"TOKEN": writes["token"], "BODY": writes["order_body"]},
        ),
        "live_order_create": (
            base + "/api/v1/mp/orders",
            "post_json.lua",
            {"TOKEN": writes["token"], "BODY": writes["live_order_body"]},
        ),
        "pay_notify": (
            base + "/api/v1/pay/notify",
            "post_lines.lua",
            {"LINES_FILE": writes["notify_file"], "CONTENT_TYPE": "application/xml"},
        ),
        # HQ refunds a paid order whole: each request a first refund of its own order
        "refund_request": (base + "/api/v1/orders", "post_lines.lua", paid_orders),
        "guide_today": (base + "/m/", "get.lua", {"COOKIE": writes["cookie"]}),
        "guide_today_after_writes": (base + "/m/", "get.lua", busy_store),
    }


def serve_and_prepare(base: str, ceiling: str, database_url: str, notifies: int, refunds: int):
    """Wait for both servers, prepare the writes and sign the guide and HQ in; returns
    ``scenario_table``'s table."""
    _wait_http(base + "/healthz", timeout=120)  # a loaded machine boots slowly
    _wait_http(f"{ceiling}/ping")
    writes = prepare_writes(
        database_url, lambda path, body: _post_json(base + path, body), notifies
    )
    writes["cookie"] = _login_cookie(base, "guide01", BENCH_PASSWORD)
    writes["staff"] = _post_json(
        base + "/api/v1/auth/token", {"username": "admin", "password": BENCH_PASSWORD}
    )["access_token"]
    return writes, scenario_table(base, ceiling, database_url, writes, refunds)


def run_scenario(table: dict, name: str, seconds: int, connections: int, cpu=None) -> dict:
    """wrk on one scenario of ``table``; with ``cpu`` (``(sessions, database)`` for
    ``bench_cpu.snapshot``) also each process group's CPU ms per request."""
    url, script, extra = table[name]
    extra = extra() if callable(extra) else extra
    before = bench_cpu.snapshot(*cpu) if cpu else None
    data = run_wrk(url, script, seconds, connections, extra)
    if before is not None:
        data["cpu_ms_per_request"] = bench_cpu.split(
            before, bench_cpu.snapshot(*cpu), data["requests"]
        )
    return data


def add_ceiling_ratios(scenarios: dict) -> None:
    """Each scenario's ``ratio_to_ceiling``: its req/s over the ceiling's in the same run."""
    top = scenarios.get("ceiling", {}).get("rps")
    for data in scenarios.values() if top else ():
        data["ratio_to_ceiling"] = round(data["rps"] / top, 3)


def stop_all(*procs: subprocess.Popen) -> None:
    for proc in procs:
        _stop(proc)


def main() -> int:
    parser = app_bench_parser(__doc__, port=5390)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", choices=("gthread", "sync"), default="gthread")
    parser.add_argument("--scenarios", default=SCENARIOS)
    parser.add_argument("--notifies", type=int, default=20000)
    parser.add_argument(
        "--refunds",
        type=int,
        default=0,
        help="paid orders to refund at wrk's rate (0: 1,500 per second of --seconds)",
    )
    parser.add_argument(
        "--pgbench-seconds",
        type=int,
        default=30,
        help="pgbench -c 8 -j 2 at scale 10 first, the writes' baseline (0: skip)",
    )
    parser.add_argument(
        "--openloop-seconds",
        type=float,
        default=60,
        help="then each write at half its wrk rate, open loop (0: skip)",
    )
    parser.add_argument(
        "--cpu-split",
        action="store_true",
        help="each scenario's CPU ms per request by process (scripts/bench_cpu.py)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print(json.dumps({"error": "wrk is not installed (apt-get install wrk)"}))
        return 1
    (ROOT / "bench-results").mkdir(exist_ok=True)
    env = production_env(args.database_url, args.redis_url, args.port)
    flask = str(VENV_BIN / "flask")
    siyu_port, ceiling_port, sandbox_port = args.port, args.port + 1, args.port + 2
    sandbox = migrate_sandbox_seed(env, sandbox_port)
    # /healthz is 503 in production without a scheduler heartbeat: run the leader too.
    scheduler = _background([flask, "scheduler", "run"], "scheduler", env)
    settings = (args.workers, args.threads, env, args.worker_class)
    siyu = _gunicorn("wsgi:build_app()", siyu_port, *settings)
    ceiling = _gunicorn("scripts.bench_ceiling:app", ceiling_port, *settings)
    base, ceiling_base = f"http://127.0.0.1:{siyu_port}", f"http://127.0.0.1:{ceiling_port}"
    gunicorn = f"-w {args.workers} -k {args.worker_class}"
    results: dict = {
        "machine": f"{os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "seconds": args.seconds,
        "connections": args.connections,
        "gunicorn": gunicorn + (f" --threads {args.threads}" * (args.worker_class == "gthread")),
        "scenarios": {},
    }
    cpu = None
    if args.cpu_split:
        groups = {siyu.pid: "siyu", ceiling.pid: "ceiling", sandbox.pid: "sandbox"}
        cpu = ({**groups, scheduler.pid: "scheduler"}, args.database_url.rsplit("/", 1)[-1])
    if args.pgbench_seconds > 0:  # the database's own rate, with Siyu started but idle
        results["pgbench_tps"] = pgbench_tps(args.database_url, 8, args.pgbench_seconds, scale=10)
        results["pgbench"] = f"-c 8 -j 2 -s 10 -T {args.pgbench_seconds}"
    try:
        refunds = args.refunds or 1500 * args.seconds
        writes, table = serve_and_prepare(
            base, ceiling_base, args.database_url, args.notifies, refunds
        )
        for name in args.scenarios.split(","):
            results["scenarios"][name] = run_scenario(
                table, name, args.seconds, args.connections, cpu
            )
        if args.openloop_seconds > 0:
            results["open_loop"] = open_loop_writes(
                base,
                writes,
                {name: data.get("rps", 0) for name, data in results["scenarios"].items()},
                args.openloop_seconds,
            )
        pgbench = results.get("pgbench_tps")
        for name in set(WRITES).intersection(results["scenarios"]) if pgbench else ():
            data = results["scenarios"][name]
            data["ratio_to_pgbench"] = round(data["rps"] / pgbench, 3)
        add_ceiling_ratios(results["scenarios"])
        if "store_orders" in writes:  # guide_today_after_writes ran: its store's orders
            late = results["scenarios"]["guide_today_after_writes"]
            late["store_orders"] = writes["store_orders"]
    finally:
        stop_all(siyu, ceiling, sandbox, scheduler)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
