"""Link checks and readiness gate decisions (both kept as history).

A ``LinkCheckRun`` checks every line-up product for one store (the store's franchisee is
the sub-merchant the money goes to): active, priced, in stock, payable (a dry-run unified
order against WeChat Pay, closed again at once). ``results`` holds one entry per product:
``{"product_id", "sku", "name", "ok", "problems": [code, ...]}``.

A ``GateDecision`` records each evaluation HQ looked at and every override with its reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import Model
from livestream.models.campaigns import CampaignChild


class LinkCheckRun(CampaignChild, Model):
    """One link check of a campaign's line-up for one store."""

    __tablename__ = "live_link_checks"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id"}

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    # pending until the outbox handler has run the checks, then done
    status: Mapped[str] = mapped_column(String(8), default="pending")
    passed: Mapped[bool] = mapped_column(default=False)
    results: Mapped[list] = mapped_column(JSON, default=list)
    run_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    run_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class GateDecision(CampaignChild, Model):
    """A readiness verdict: computed (``override`` false) or HQ's override with a reason."""

    __tablename__ = "live_gate_decisions"

    # check (a recorded evaluation) | override | revoke (ends an override) | go_live
    kind: Mapped[str] = mapped_column(String(10), default="check", server_default="check")
    ready: Mapped[bool]
    blockers: Mapped[list] = mapped_column(JSON, default=list)
    override: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(255), default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
