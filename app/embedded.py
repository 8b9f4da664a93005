"""The embedded runner: one process serving the web app with scheduler and dispatcher threads.

Used by ``scripts/run`` (``flask siyu serve``). Production runs gunicorn, the scheduler and
the dispatchers as separate processes instead (see README).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from werkzeug.serving import make_server

from app.outbox import run_dispatcher
from app.scheduler import LeaderScheduler

log = logging.getLogger("siyu.embedded")


def start_workers(app: Flask, stop: threading.Event) -> list[threading.Thread]:
    """Start the scheduler and one dispatcher as daemon threads of this process."""
    threads = [
        threading.Thread(
            target=LeaderScheduler(app).run, args=(stop,), name="scheduler", daemon=True
        ),
        threading.Thread(target=run_dispatcher, args=(app, stop), name="dispatcher", daemon=True),
    ]
    for thread in threads:
        thread.start()
    return threads


def serve(app: Flask, host: str = "127.0.0.1", port: int = 5000) -> None:
    """Serve until interrupted (threaded WSGI server plus the background workers)."""
    stop = threading.Event()
    start_workers(app, stop)
    server = make_server(host, port, app, threaded=True)
    log.info("serving on http://%s:%s", host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
