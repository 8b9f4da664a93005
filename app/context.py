"""The current Flask app, one way: ``app_now()``.

``current_app`` is a proxy: every attribute read through it looks the context up again
(~1 µs), and a service that keeps things on the app (``app.extensions``, a pool, a kept
serializer) or hands it on (a dispatcher, a thread) needs the object itself. ``app_now``
reads Flask's context variable once; outside an app context it raises as ``current_app``
does. The layouts (``app.web.request_state``) and the services below them use it alike.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask.globals import _cv_app


def app_now() -> Flask:
    """The current app (``current_app``'s object); ``RuntimeError`` outside an app
    context, as ``current_app``."""
    context = _cv_app.get(None)
    if context is None:
        return current_app._get_current_object()  # type: ignore[attr-defined]  # raises
    return context.app
