"""Serving the emulator as its own process (``flask sandbox run``).

gunicorn with one ``gthread`` worker: one process, so the emulator's state (its world,
the queued callbacks and notifies its delivery thread sends) stays in one place, as
with a threaded server; threads answer concurrent calls; and connections are kept
alive between calls, as WeChat's servers keep them. werkzeug's development server
closes the connection after every response (since werkzeug 2.1), so each call through
it paid a new TCP connection and a new thread, which is not what a client of WeChat
pays and made the emulator the queue in load benchmarks.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

# seconds an idle kept-alive connection waits for its next request
KEEPALIVE_SECONDS = 30


class SandboxServer(BaseApplication):
    """gunicorn serving ``create_sandbox_app(config)``, built in the worker process (so
    the delivery thread runs where the state is)."""

    def __init__(self, config: dict, host: str, port: int, threads: int) -> None:
        self._sandbox_config = config
        self._settings: dict[str, Any] = {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "keepalive": KEEPALIVE_SECONDS,
            "loglevel": "warning",
            "backlog": 2048,
            "graceful_timeout": 2,  # nothing to drain: stop at once
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._settings.items():
            self.cfg.set(key, value)

    def load(self):
        from app.wechat.sandbox import create_sandbox_app

        sandbox = create_sandbox_app(self._sandbox_config)
        sandbox.extensions["siyu_sandbox"].ensure_worker()
        return sandbox
