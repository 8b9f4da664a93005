"""Training checklists: a template per campaign, each guide's answers and completion.

A guide's ``TrainingProgress`` row is created when they first open the checklist (or by
the training board for every active guide of a participating store); ``completed_at`` is
set when every required item is done and every question answered correctly.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model
from livestream.models.campaigns import CampaignChild

ITEM_PRODUCTS, ITEM_DISCOUNTS, ITEM_PERKS = "products", "discounts", "perks"
ITEM_TALK_TRACK, ITEM_LINK_CHECK, ITEM_QUESTION = "talk_track", "link_check", "question"
ITEM_KINDS = (
    ITEM_PRODUCTS,
    ITEM_DISCOUNTS,
    ITEM_PERKS,
    ITEM_TALK_TRACK,
    ITEM_LINK_CHECK,
    ITEM_QUESTION,
)


class ChecklistItem(CampaignChild, Model):
    """One item of a campaign's checklist; a ``question`` has an expected answer."""

    __tablename__ = "live_checklist_items"

    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text, default="")
    # questions: the answer a guide must give (compared trimmed, case-insensitive)
    expected_answer: Mapped[str | None] = mapped_column(String(128))
    required: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)


class TrainingProgress(CampaignChild, Model):
    """A guide's progress on a campaign's checklist."""

    __tablename__ = "live_training_progress"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (UniqueConstraint("campaign_id", "guide_id"),)

    guide_id: Mapped[int] = mapped_column(ForeignKey("guides.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    is_late: Mapped[bool] = mapped_column(
        default=False
    )  # completed after the training step's due day

    answers: Mapped[list[ChecklistAnswer]] = relationship(
        back_populates="progress", cascade="all, delete-orphan"
    )
    guide = relationship("Guide")


class ChecklistAnswer(Model):
    """A guide ticking an item off, or their answer to a question."""

    __tablename__ = "live_checklist_answers"
    __table_args__ = (UniqueConstraint("progress_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(
        ForeignKey("live_training_progress.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("live_checklist_items.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(String(128), default="")
    correct: Mapped[bool] = mapped_column(default=True)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    progress: Mapped[TrainingProgress] = relationship(back_populates="answers")
