"""The composition root: builds the shared app and hands it to each domain.

``gunicorn 'wsgi:build_app()'`` and ``flask --app wsgi ...`` (which finds the factory
``create_app``) both start here; tests build the app through ``build_app`` the same way.
Nothing is built at import time.
"""

from __future__ import annotations

import gc

from flask import Flask

import app as shared_app


def build_app(overrides: dict | None = None) -> Flask:
    """The whole Siyu app: shared house plus franchise, community and livestream."""
    import community
    import franchise
    import livestream

    app = shared_app.create_app(overrides)
    franchise.init_app(app)
    community.init_app(app)
    livestream.init_app(app)
    shared_app.drop_repeated_context_processors(app)
    if app.config["SIYU_ENV"] == "production":
        # The ~200,000 objects of a built app live as long as the process: keep them out
        # of the collector's full passes (each one stalled every thread ~30-50 ms).
        gc.freeze()
    return app


create_app = build_app
