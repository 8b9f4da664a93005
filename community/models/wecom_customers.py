"""Customer tags (WeCom corp tags kept in sync both ways) and hand-overs (继承) through WeCom.

* ``TagGroup`` / ``CustomerTag``: HQ's tag library; ``wecom_id`` is WeCom's
  ``group_id`` / tag ``id`` once ``add_corp_tag`` answered (``sync_error`` keeps WeCom's
  refusal). A tag with a ``rule`` (``tier:high``, ``category:gold``, ``live_buyer``) is
  applied by the rules job, not by hand.
* ``CustomerTagLink``: one tag on one person — a customer (``customer_id``) and / or a
  WeCom contact (``external_userid`` of the guide ``guide_userid``); ``subject`` says
  which (``c<customer id>`` or ``e<external_userid>``) and is unique per tag.
  ``status`` follows ``mark_tag``: pending → synced, or refused with WeCom's reason.
* ``CustomerNote``: a guide's note on a customer.
* ``WecomTransfer``: one customer (``external_userid``) or group (``chat_id``) handed
  from one guide to another through WeCom; Siyu's assignment follows only its outcome.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model

TAG_MANUAL, TAG_RULE, TAG_WECOM = "manual", "rule", "wecom"
LINK_PENDING, LINK_SYNCED, LINK_REFUSED, LINK_LOCAL = "pending", "synced", "refused", "local"

# hand-over statuses: queued (not yet asked), waiting (WeCom's 24 hours), then an outcome
T_QUEUED, T_WAITING, T_ACCEPTED, T_REFUSED = "queued", "waiting", "accepted", "refused"
T_LIMIT, T_FAILED = "limit", "failed"
TRANSFER_OPEN = (T_QUEUED, T_WAITING)
TRANSFER_STATUSES = (T_QUEUED, T_WAITING, T_ACCEPTED, T_REFUSED, T_LIMIT, T_FAILED)
REASON_GUIDE_LEFT, REASON_STORE_CLOSED, REASON_HQ_MOVE = "guide_left", "store_closed", "hq_move"


class TagGroup(Model):
    """A tag group HQ defines (婚庆, 古法金偏好, 高净值, 待唤醒 ...)."""

    __tablename__ = "customer_tag_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    wecom_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    order: Mapped[int] = mapped_column(default=0)
    sync_error: Mapped[str | None] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tags = relationship("CustomerTag", back_populates="group", order_by="CustomerTag.order")


class CustomerTag(Model):
    """A tag of a group; ``rule`` names the automatic rule that applies it, if any."""

    __tablename__ = "customer_tags"
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("customer_tag_groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    wecom_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    order: Mapped[int] = mapped_column(default=0)
    rule: Mapped[str | None] = mapped_column(String(40), index=True)
    sync_error: Mapped[str | None] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group = relationship("TagGroup", back_populates="tags")


class CustomerTagLink(Model):
    """One tag on one customer / contact, with its WeCom sync state."""

    __tablename__ = "customer_tag_links"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (UniqueConstraint("tag_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("customer_tags.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(72))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    external_userid: Mapped[str | None] = mapped_column(String(64), index=True)
    guide_userid: Mapped[str | None] = mapped_column(String(64))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    source: Mapped[str] = mapped_column(String(10), default=TAG_MANUAL)
    status: Mapped[str] = mapped_column(String(10), default=LINK_LOCAL)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tag = relationship("CustomerTag")


class WecomTransfer(Model):
    """A customer or group handed over through WeCom (在职 / 离职继承)."""

    __tablename__ = "wecom_transfers"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(10), default="customer")  # customer | group
    resigned: Mapped[bool] = mapped_column(default=False)  # 离职继承 (else 在职)
    reason: Mapped[str] = mapped_column(String(16), default=REASON_HQ_MOVE)
    external_userid: Mapped[str | None] = mapped_column(String(64), index=True)
    chat_id: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    handover_guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    takeover_guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    handover_userid: Mapped[str] = mapped_column(String(64))
    takeover_userid: Mapped[str] = mapped_column(String(64))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    status: Mapped[str] = mapped_column(String(10), default=T_QUEUED, index=True)
    errcode: Mapped[int | None]
    errmsg: Mapped[str | None] = mapped_column(Text)
    takeover_at: Mapped[datetime | None]  # WeCom's takeover time (future while waiting)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    customer = relationship("Customer")
    handover_guide = relationship("Guide", foreign_keys=[handover_guide_id])
    takeover_guide = relationship("Guide", foreign_keys=[takeover_guide_id])


class CustomerNote(Model):
    """A guide's note on a customer (the mobile customer page)."""

    __tablename__ = "customer_notes"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "LINK_LOCAL",
    "LINK_PENDING",
    "LINK_REFUSED",
    "LINK_SYNCED",
    "TAG_MANUAL",
    "TAG_RULE",
    "TAG_WECOM",
    "TRANSFER_OPEN",
    "TRANSFER_STATUSES",
    "CustomerNote",
    "CustomerTag",
    "CustomerTagLink",
    "TagGroup",
    "WecomTransfer",
]
