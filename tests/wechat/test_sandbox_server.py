"""``flask sandbox run`` as a real process: the emulator keeps connections alive between
calls (as WeChat's servers do) and stops promptly on SIGTERM."""

from __future__ import annotations

import http.client
import os
import signal
import time

import pytest

from tests.fixtures.processes import free_port, kill, spawn, wait_until

STATE = "/_sandbox/control/state"


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", STATE)
        return conn.getresponse().status == 200
    except OSError:
        return False


@pytest.mark.slow  # a real process: 5-15 s
def test_the_sandbox_process_keeps_connections_alive_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        FLASK_APP="wsgi",
        SIYU_INSTANCE_DIR=str(tmp_path),
        SIYU_WECHAT_MODE="sandbox",
        SIYU_SANDBOX_STATE_FILE=str(tmp_path / "sandbox-state.json"),
    )
    proc = spawn(["sandbox", "run", "--port", str(port), "--threads", "2"], env, tmp_path / "log")
    try:
        assert wait_until(lambda: _answers(port), 60), (tmp_path / "log").read_text()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", STATE)
        first = conn.getresponse()
        first.read()
        socket_used = conn.sock
        conn.request("GET", STATE)
        second = conn.getresponse()
        second.read()
        assert first.status == second.status == 200
        assert (first.getheader("Connection") or "").lower() != "close"
        assert socket_used is not None and conn.sock is socket_used  # no new connection
        conn.close()
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
        assert time.monotonic() - started < 8
    finally:
        kill(proc)
