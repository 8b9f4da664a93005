"""Fault tests: real processes, real PostgreSQL and Redis (the second pass of scripts/test).

Each test starts what it needs (scheduler processes, a throwaway redis-server, a TCP proxy
in front of PostgreSQL), breaks it on purpose, and is bounded in time. They skip on the
embedded pass, where there is no server to break.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("SIYU_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("SIYU_TEST_REDIS_URL", "")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults" in str(item.fspath):
            item.add_marker(pytest.mark.faults)
            if not (PG_URL and REDIS_URL):
                item.add_marker(pytest.mark.skip(reason="fault tests run on PostgreSQL + Redis"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def flask_env(**extra) -> dict:
    """Environment for a ``flask`` subprocess on the test database and Redis."""
    env = dict(os.environ)
    env.update(
        FLASK_APP="wsgi",
        SIYU_ENV="production",
        SIYU_DATABASE_URL=PG_URL,
        SIYU_REDIS_URL=REDIS_URL,
        SIYU_SECRET_KEY="fault-test-secret",
        # The production topology: the emulator is never mounted in a production app, so
        # it is a URL (tests that need one pass their live server; nothing listens on :9).
        SIYU_WECHAT_MODE="sandbox",
        SIYU_ALLOW_SANDBOX="1",
        SIYU_SANDBOX_URL="http://127.0.0.1:9",
        SIYU_PAY_NOTIFY_URL="http://127.0.0.1:9/api/v1/pay/notify",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    flask = str(Path(sys.executable).parent / "flask")
    return subprocess.Popen(
        [flask, *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        proc.wait(10)


class TcpProxy:
    """A loopback TCP proxy; ``cut()`` refuses and drops every connection (server "down")."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _pipe(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def cut(self):
        self.up = False
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
                except OSError:
                    pass
            self.conns.clear()

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.listener.close()


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
