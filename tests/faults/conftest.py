"""Fault tests: real processes, real PostgreSQL and Redis (the second pass of scripts/test).

Each test starts what it needs (scheduler processes, a throwaway redis-server, a TCP proxy
in front of PostgreSQL), breaks it on purpose, and is bounded in time. They skip on the
embedded pass, where there is no server to break. The helpers to start, wait for and kill
processes are in tests/fixtures/processes.py. They run in their own pytest invocation
(never under pytest-xdist): they restart servers and bind ports other tests would share.
"""

from __future__ import annotations

import shutil
import socket
import subprocess

import pytest

from tests.fixtures.processes import PG_URL, REDIS_URL, free_port, wait_until


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults" in str(item.fspath):
            item.add_marker(pytest.mark.faults)
            if not (PG_URL and REDIS_URL):
                item.add_marker(pytest.mark.skip(reason="fault tests run on PostgreSQL + Redis"))


@pytest.fixture
def redis_server(tmp_path):
    """A throwaway redis-server on its own port (so restarting it disturbs no other test)."""
    binary = shutil.which("redis-server")
    if not binary:
        pytest.fail("redis-server is not installed")
    port = free_port()

    def start():
        return subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    state = {"proc": start()}

    def ping():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    assert wait_until(ping, 10)

    class Handle:
        url = f"redis://127.0.0.1:{port}/0"

        def stop(self):
            state["proc"].kill()
            state["proc"].wait(5)

        def start(self):
            state["proc"] = start()
            assert wait_until(ping, 10)

    yield Handle()
    state["proc"].kill()
