"""JSON log lines on stderr: one object per record, with the request path when there is one."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import Flask, has_request_context, request


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context():
            entry["method"] = request.method
            entry["path"] = request.path
        for key in ("event", "kind", "outbox_id", "job", "order_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_json_logging(app: Flask) -> None:
    """Route the ``siyu`` loggers through one JSON handler (once per process)."""
    logger = logging.getLogger("siyu")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.INFO if not app.testing else logging.WARNING)
