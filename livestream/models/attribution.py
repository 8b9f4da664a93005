"""Who came through which guide's campaign share code.

A ``CampaignVisit`` is the first time a customer opened the campaign (mini-program live
page or a share link), attributed to the share code's guide, store, franchisee and region.
``is_new_customer`` marks customers created by that visit (the "new customers" target).
Orders carry the campaign themselves (``orders.campaign_id`` and ``share_code``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import Model
from livestream.models.campaigns import CampaignChild


class CampaignVisit(CampaignChild, Model):
    """A customer's first arrival at a campaign, and through whom."""

    __tablename__ = "live_visits"
    __scope__ = {
        "franchisee": "franchisee_id",
        "store": "store_id",
        "guide": "guide_id",
        "customer": "customer_id",
    }
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    share_code: Mapped[str | None] = mapped_column(String(32))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    is_new_customer: Mapped[bool] = mapped_column(default=False)
    visited_at: Mapped[datetime] = mapped_column(default=utcnow)
