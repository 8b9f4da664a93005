"""CPU cost per request, in-process: Siyu in production mode on PostgreSQL + Redis, called
through the Flask test client, timed with ``time.process_time`` (CPU of this process:
Python, SQLAlchemy, psycopg, Jinja — not PostgreSQL's or Redis's own work) and
``time.perf_counter`` (wall time, which includes the round trips).

For each scenario (store list, products, HQ's campaign and group lists, mini-program
login, order create, the
customer's order list (a page of 20, newest first: order create's) and one order, pay
notify, refund request, the guide's Today page, the HQ overview; the login three times: a
new customer each time by place (the nearest store), a new customer each time with a guide's
share code for the demo's live campaign (the live surge's login), and the same returning
customer with a fresh ``wx.login`` code from the sandbox) it warms up, times ``--requests``
calls, counts the statements of a few more (``statements_per_request``), then profiles
``--profile-requests`` more twice: cProfile's top 40 by cumulative time to
``docs/profiles/<scenario>.txt`` and sampled stacks in collapsed form to
``docs/profiles/<scenario>.collapsed`` (``flamegraph.pl`` or speedscope draw them).
Each scenario's CPU is also given as a multiple of the bare Flask endpoint's
(``scripts/bench_ceiling.py``, same client, same run). The sandbox runs as its own
process (as in production); its CPU is not counted. The collapsed stacks are sampled
by wall clock (time waiting on PostgreSQL shows as psycopg's ``wait``). Prints one JSON
object; ``scripts/bench`` runs it. Loopback only.

    python scripts/bench_cost.py --database-url postgresql+psycopg://... \
        --redis-url redis://127.0.0.1:6399/5 --requests 200
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_http import (  # noqa: E402
    BENCH_PASSWORD,
    _stop,
    app_bench_parser,
    migrate_sandbox_seed,
    production_env,
)
from scripts.bench_profile import collapsed_stacks, cprofile_text  # noqa: E402
from scripts.bench_writes import prepare_writes  # noqa: E402

PROFILES = ROOT / "docs" / "profiles"
STORES = "/api/v1/mp/stores?latitude=31.2297&longitude=121.4552"
MY_ORDERS = "/api/v1/mp/orders?per_page=20"
PRODUCTS = "/api/v1/mp/products"
CAMPAIGNS = "/api/v1/campaigns"  # HQ's list (staff token), the first page of 20
GROUPS = "/api/v1/groups"  # HQ's list (staff token), the first page of 20
SCENARIOS = (
    "stores,products,campaigns,groups,mp_login,mp_login_share,mp_login_returning,order_create,"
    "mp_orders,"
    "mp_order,pay_notify,"
    "refund_request,guide_today,hq_overview"
)


def _login(client, form_path: str, username: str) -> None:
    """Sign ``client`` in through a login form (CSRF token from the page)."""
    page = client.get(form_path).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        form_path, data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token}
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"{username} could not sign in: {response.status_code}")


def _expect(response, *codes: int):
    if response.status_code not in codes:
        raise RuntimeError(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")
    return response


def _login_codes(count: int) -> list[str]:
    """``count`` ``wx.login`` codes of the bench's setup customer (``code-bench-setup``),
    issued by the sandbox (its control API) before the returning login is timed."""
    import requests

    url = os.environ["SIYU_SANDBOX_URL"].rstrip("/") + "/_sandbox/control/mp/login_code"
    with requests.Session() as http:
        return [http.post(url, json={"user": "bench-setup"}).json()["code"] for _ in range(count)]


def _live_share_code(api, database_url: str) -> str:
    """A demo guide's share code for the demo's live HQ campaign (the first guide whose
    store takes part), as a customer arriving in a live surge carries."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        campaign_id = conn.execute(
            text(
                "SELECT id FROM live_campaigns WHERE status = 'live' AND mode = 'hq'"
                " ORDER BY id LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    for number in range(1, 31):
        token = _expect(
            api.post(
                "/api/v1/auth/token",
                json={"username": f"guide{number:02d}", "password": BENCH_PASSWORD},
            ),
            200,
            201,
        ).get_json()["access_token"]
        response = api.get(
            f"/api/v1/me/campaigns/{campaign_id}/share",
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code == 200:
            return response.get_json()["code"]
    raise RuntimeError("no demo guide has a share code for the live campaign")


def build_calls(app, database_url: str, notifies: int) -> dict[str, Callable[[], None]]:
    """One zero-argument callable per scenario, each making one request."""
    from sqlalchemy import create_engine, text

    api = app.test_client()

    def post_json(path: str, body: dict) -> dict:
        return _expect(api.post(path, json=body), 200, 201).get_json()

    writes = prepare_writes(database_url, post_json, notifies)
    bearer = {"Authorization": f"Bearer {writes['token']}"}
    order_body = json.loads(writes["order_body"])
    guide, hq = app.test_client(), app.test_client()
    _login(guide, "/m/login", "guide01")
    _login(hq, "/admin/login", "admin")
    staff = post_json("/api/v1/auth/token", {"username": "admin", "password": BENCH_PASSWORD})
    staff_bearer = {"Authorization": f"Bearer {staff['access_token']}"}
    notify_bodies = iter(writes["notify_bodies"])
    codes = itertools.count()
    live_code = _live_share_code(api, database_url)
    returning_codes: list[str] = []

    def returning_login() -> None:
        if not returning_codes:  # at its first call (its warm-up): valid for 5 minutes
            returning_codes.extend(_login_codes(notifies))
        post_json("/api/v1/mp/session", {"code": returning_codes.pop()})

    engine = create_engine(database_url)
    paid: list[int] = []
    mine: list[int] = []

    def my_order() -> None:
        if not mine:  # the newest of the orders order_create placed (lines priced)
            page = _expect(api.get(MY_ORDERS, headers=bearer), 200).get_json()
            mine.append(page["items"][0]["id"])
        _expect(api.get(f"/api/v1/mp/orders/{mine[0]}", headers=bearer), 200)

    def refund() -> None:
        if not paid:  # the orders pay_notify paid, one refund of 1 fen each
            with engine.connect() as conn:
                paid.extend(
                    conn.execute(
                        text(
                            "SELECT id FROM orders WHERE order_no LIKE 'BN%' AND paid_fen > 0"
                            " ORDER BY id DESC"
                        )
                    ).scalars()
                )
        _expect(
            api.post(
                f"/api/v1/orders/{paid.pop()}/refunds",
                json={"amount_fen": 1, "reason": "bench"},
                headers=staff_bearer,
            ),
            202,
        )

    return {
        "stores": lambda: _expect(api.get(STORES), 200) and None,
        "products": lambda: _expect(api.get(PRODUCTS, headers=bearer), 200) and None,
        "campaigns": lambda: _expect(api.get(CAMPAIGNS, headers=staff_bearer), 200) and None,
        "groups": lambda: _expect(api.get(GROUPS, headers=staff_bearer), 200) and None,
        "mp_login": lambda: (
            post_json(
                "/api/v1/mp/session",
                {"code": f"code-cost-{next(codes)}", "latitude": 31.2297, "longitude": 121.4552},
            )
            and None
        ),
        "mp_login_share": lambda: (
            post_json(
                "/api/v1/mp/session", {"code": f"code-share-{next(codes)}", "share_code": live_code}
            )
            and None
        ),
        "mp_login_returning": returning_login,
        "order_create": lambda: (
            _expect(api.post("/api/v1/mp/orders", json=order_body, headers=bearer), 201) and None
        ),
        "mp_orders": lambda: _expect(api.get(MY_ORDERS, headers=bearer), 200) and None,
        "mp_order": my_order,
        "pay_notify": lambda: (
            _expect(
                api.post(
                    "/api/v1/pay/notify",
                    data=next(notify_bodies),
                    content_type="text/xml",
                ),
                200,
            )
            and None
        ),
        "refund_request": refund,
        "guide_today": lambda: _expect(guide.get("/m/"), 200) and None,
        "hq_overview": lambda: _expect(hq.get("/admin/"), 200) and None,
    }


def measure(call: Callable[[], None], requests: int) -> dict:
    """CPU and wall milliseconds per request over ``requests`` calls."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(requests):
        call()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {
        "requests": requests,
        "cpu_ms_per_request": round(cpu * 1000 / requests, 3),
        "wall_ms_per_request": round(wall * 1000 / requests, 3),
    }


def statements_per_request(call: Callable[[], None], requests: int = 5) -> float:
    """The SQL statements ``call`` sends, per request, over ``requests`` more calls:
    counted at the driver (each ``execute`` / ``executemany`` of a psycopg cursor), so a
    statement sent on a raw connection (pay notify's ``payments_pg.run_settle``) counts
    like one sent through SQLAlchemy (whose ``before_cursor_execute`` sees only its own)."""
    import psycopg

    sent = [0]
    originals = {name: getattr(psycopg.Cursor, name) for name in ("execute", "executemany")}

    def counted(original):
        def wrapper(self, *args, **kwargs):
            sent[0] += 1
            return original(self, *args, **kwargs)

        return wrapper

    for name, original in originals.items():
        setattr(psycopg.Cursor, name, counted(original))
    try:
        for _ in range(requests):
            call()
    finally:
        for name, original in originals.items():
            setattr(psycopg.Cursor, name, original)
    return round(sent[0] / requests, 1)


def main() -> int:
    parser = app_bench_parser(__doc__, port=5490)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile-requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--scenarios", default=SCENARIOS)
    parser.add_argument("--no-profiles", action="store_true")
    args = parser.parse_args()
    (ROOT / "bench-results").mkdir(exist_ok=True)
    PROFILES.mkdir(parents=True, exist_ok=True)
    env = production_env(args.database_url, args.redis_url, args.port)
    sandbox = migrate_sandbox_seed(env, args.port + 2)
    results: dict = {
        "machine": f"{os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "mode": "production config, PostgreSQL + Redis, Flask test client, one thread",
        "scenarios": {},
    }
    try:
        os.environ.update(env)
        from wsgi import build_app

        app = build_app()
        from scripts.bench_ceiling import app as bare

        bare_client = bare.test_client()
        results["bare_flask"] = measure(lambda: bare_client.get("/ping") and None, 2000)
        per = args.warmup + args.requests + 2 * args.profile_requests
        calls = build_calls(app, args.database_url, per + 10)
        for name in args.scenarios.split(","):
            call = calls[name]
            for _ in range(args.warmup):
                call()
            results["scenarios"][name] = figures = measure(call, args.requests)
            figures["x_bare_flask"] = round(  # the ceiling's cost, same client, same run
                figures["cpu_ms_per_request"] / results["bare_flask"]["cpu_ms_per_request"], 1
            )
            figures["statements_per_request"] = statements_per_request(call)
            if args.no_profiles:
                continue

            def many(call=call) -> None:
                for _ in range(args.profile_requests):
                    call()

            (PROFILES / f"{name}.txt").write_text(cprofile_text(many))
            (PROFILES / f"{name}.collapsed").write_text(collapsed_stacks(many))
    finally:
        _stop(sandbox)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
