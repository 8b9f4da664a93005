"""The livestream domain: campaigns HQ plans and stores carry (docs/ARCHITECTURE.md).

Areas: ``campaigns`` (modes, participants, sessions, line-up, timeline, warm-up pushes),
``targets`` (cascade and reward / penalty rules), ``training`` (checklists), ``readiness``
(gate and link check), ``live`` (attribution, WeCom living, dashboard) and ``review``
(复盘). ``init_app`` plugs them into the app; see ``livestream.wiring``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprints, CLI commands, jobs, hooks and seeders."""
    from livestream import wiring

    wiring.init_app(app)
