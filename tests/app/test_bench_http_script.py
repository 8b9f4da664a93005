"""The HTTP benchmark's parts that decide what a figure means: each scenario has its
script and each write its figure beside pgbench's; ``post_lines.lua`` sends no line twice
(a refund's or a notify's second request would be a repeat, not the write measured); the
open loop sends each request to its own path; the CPU split adds up per request."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from scripts import bench_cpu
from scripts.bench_gunicorn import parse_setting
from scripts.bench_http import LUA, SCENARIOS, WRK_THREADS, scenario_table
from scripts.bench_openloop import WRITES, run_open_loop


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every POST 200 (keep-alive) and records its path and body."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()


def test_every_scenario_has_its_script_and_every_write_a_scenario():
    writes = {
        "token": "t",
        "staff": "s",
        "cookie": "c",
        "order_body": "{}",
        "live_order_body": "{}",
        "notify_file": "n",
        "refund_file": "r",  # as refund_pool leaves it: not made again
    }
    table = scenario_table("http://b", "http://c", "postgresql://nowhere/x", writes)
    assert set(SCENARIOS.split(",")) == set(table)
    assert set(WRITES) <= set(table)
    for _url, script, extra in table.values():
        assert (LUA / script).is_file(), script
        assert callable(extra) or isinstance(extra, dict)
    assert callable(table["order_create"][2])  # the spread products: made when it runs
    url, script, extra = table["refund_request"]
    assert script == "post_lines.lua" and extra() == {"TOKEN": "s", "LINES_FILE": "r"}
    # the page that walks its store's orders: once before any write, once after them all
    order = SCENARIOS.split(",")
    writes_at = [order.index(name) for name in WRITES]
    assert order.index("guide_today") < min(writes_at)
    assert order.index("guide_today_after_writes") > max(writes_at)


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed")
def test_post_lines_sends_each_line_once_in_its_own_path(recorder, tmp_path: Path):
    base, seen = recorder
    lines = tmp_path / "lines.txt"
    lines.write_text("".join(f'/api/v1/orders/{n}/refunds\t{{"n": {n}}}\n' for n in range(50000)))
    env = dict(os.environ, BENCH_LUA_DIR=str(LUA), WRK_THREADS="2", LINES_FILE=str(lines))
    subprocess.run(
        ["wrk", "-t", "2", "-c", "2", "-d", "1s", "-s", str(LUA / "post_lines.lua"), base],
        env=env,
        check=True,
        capture_output=True,
        timeout=30,
    )
    assert 10 < len(seen) < 50000
    paths = [path for path, _ in seen]
    assert len(set(paths)) == len(paths)  # no line twice, whatever the threads' start order
    for path, body in seen:
        assert path == f"/api/v1/orders/{body.decode()[6:-1]}/refunds"


def test_the_open_loop_sends_each_request_to_its_own_target(recorder):
    base, seen = recorder
    result = run_open_loop(
        base + "/api/v1/orders",
        200,
        0.1,
        body_of=lambda n: b'{"n": %d}' % n,
        target_of=lambda n: f"/api/v1/orders/{n}/refunds",
        inflight=4,
    )
    assert result["completed"] == result["requests"] == 20 and result["errors"] == {}
    expected = [(f"/api/v1/orders/{n}/refunds", b'{"n": %d}' % n) for n in range(20)]
    assert sorted(seen) == sorted(expected)


def test_the_cpu_split_divides_each_group_by_the_requests():
    before = bench_cpu.Snapshot(
        pids={"siyu": {10: 1.0, 11: 2.0}, "postgres_backends": {20: 0.5}},
        generator=0.2,
        machine=100.0,
    )
    after = bench_cpu.Snapshot(
        pids={"siyu": {10: 2.0, 11: 3.0}, "postgres_backends": {20: 0.9, 21: 0.1}},
        generator=0.3,
        machine=104.0,
    )
    split = bench_cpu.split(before, after, 1000)
    # siyu 2 s, PostgreSQL 0.4 + 0.1 (a backend that appeared counts from zero), wrk 0.1
    assert split == {
        "machine": 4.0,
        "other": 1.4,
        "postgres_backends": 0.5,
        "siyu": 2.0,
        "wrk": 0.1,
    }
    assert bench_cpu.split(before, after, 0) == {}


def test_a_snapshot_counts_this_process_session_and_the_machine():
    sessions = {os.getsid(0): "me"}
    before = bench_cpu.snapshot(sessions, "no_such_database")
    mine = before.pids["me"][os.getpid()]
    total = 0
    while bench_cpu.snapshot(sessions, "x").pids["me"][os.getpid()] - mine < 3 / bench_cpu.TICK:
        total += sum(range(10000))  # burn three clock ticks of CPU
    after = bench_cpu.snapshot(sessions, "no_such_database")
    assert after.machine > before.machine and total > 0
    assert "postgres_backends" not in after.pids  # no backend of a database that is not there


def test_a_gunicorn_setting_names_its_worker_class_and_size():
    assert parse_setting("gthread:4x2") == ("gthread", 4, 2)
    assert parse_setting("sync:3") == ("sync", 3, 1)
    assert WRK_THREADS == 2
    with pytest.raises(ValueError):
        parse_setting("gevent:4")
