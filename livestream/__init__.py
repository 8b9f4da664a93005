"""The livestream domain: campaigns HQ plans and stores carry (docs/ARCHITECTURE.md).

Areas: ``campaigns`` (modes, participants, sessions, line-up, timeline, warm-up pushes),
``targets`` (cascade and reward / penalty rules), ``training`` (checklists), ``readiness``
(gate and link check), ``live`` (attribution, WeCom living, dashboard) and ``review``
(复盘). ``init_app`` plugs each into the app through ``livestream.wiring``; the demo data
is ``livestream.demo``. The domain has no ``flask`` commands yet.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register each area of this domain in dependency order."""
    import livestream.models  # noqa: F401 - the tables
    from livestream.wiring import campaigns, live, readiness, review, targets, training

    for area in (campaigns, targets, training, readiness, live, review):
        area.register(app)
