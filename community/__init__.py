"""The community domain: WeCom customer groups by lifecycle stage (see ../shared/DESIGN.md).

Built out by the community issue; for now it seeds the demo's groups in the sandbox.
"""

from __future__ import annotations

from flask import Flask

from app.extensions import registry


def init_app(app: Flask) -> None:
    """Register this domain's blueprints, CLI commands, jobs, subscriptions and seeders."""
    from community.demo import seed_sandbox_groups

    registry(app).seeders.append(seed_sandbox_groups)
