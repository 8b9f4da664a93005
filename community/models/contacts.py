"""WeCom external contacts (外部联系人): the one-to-one relationship every group is built
from, a customer who added a guide on WeCom.

- ``WecomContact``: one person as WeCom knows them (``external_userid``), linked to the
  mini-program customer by ``unionid`` (one person is one customer: a contact never
  creates a customer, it is linked to the one the mini-program login made);
- ``ContactFollow``: one guide's (WeCom userid's) side of the relationship, with the
  remark, add time, add way and the ``state`` of the 联系我 code it came through; kept
  when either side deletes the other (the flags say who and when). ``guide_id`` is empty
  while the userid is not a guide Siyu knows yet; the sync or the guide's creation links it;
- ``ContactWay``: a 联系我 code (``add_contact_way``) of a guide, a store or a live
  campaign, with the ``state`` (≤ 30 characters, WeCom's limit) that says who and why;
- ``ContactSyncRun``: a full sync of one guide's contacts (``batch/get_by_user``), keeping
  its cursor so a failed run resumes where it stopped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model

# external contact type (WeCom): 1 a WeChat user, 2 a WeCom user
CONTACT_WECHAT, CONTACT_WECOM = 1, 2
# contact way kinds
WAY_GUIDE, WAY_STORE, WAY_CAMPAIGN = "guide", "store", "campaign"
WAY_KINDS = (WAY_GUIDE, WAY_STORE, WAY_CAMPAIGN)
WAY_ACTIVE, WAY_DELETED = "active", "deleted"
STATE_MAX = 30  # WeCom: add_contact_way ``state`` is at most 30 characters
# welcome message outcome on a follow
WELCOME_SENT, WELCOME_STALE, WELCOME_FAILED = "sent", "stale", "failed"


class WecomContact(Model):
    """An external contact: one person, linked to the mini-program customer by unionid."""

    __tablename__ = "wecom_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_userid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    avatar: Mapped[str] = mapped_column(String(255), default="")
    type: Mapped[int] = mapped_column(default=CONTACT_WECHAT)
    gender: Mapped[int] = mapped_column(default=0)
    corp_name: Mapped[str] = mapped_column(String(64), default="")
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    follows = relationship("ContactFollow", back_populates="contact", lazy="dynamic")


class ContactFollow(Model):
    """A guide's (WeCom userid's) relationship with one external contact."""

    __tablename__ = "wecom_contact_follows"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (
        UniqueConstraint("userid", "external_userid"),
        Index("ix_wecom_contact_follows_guide_id_add_time", "guide_id", "add_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("wecom_contacts.id", ondelete="CASCADE"), index=True
    )
    external_userid: Mapped[str] = mapped_column(String(64))
    userid: Mapped[str] = mapped_column(String(64), index=True)  # the guide's WeCom userid
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    remark: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    add_time: Mapped[datetime | None]
    add_way: Mapped[int] = mapped_column(default=0)  # WeCom's add_way code
    state: Mapped[str | None] = mapped_column(String(30), index=True)
    oper_userid: Mapped[str | None] = mapped_column(String(64))
    deleted_by_customer: Mapped[bool] = mapped_column(default=False)
    deleted_by_customer_at: Mapped[datetime | None]
    deleted_by_guide: Mapped[bool] = mapped_column(default=False)
    deleted_by_guide_at: Mapped[datetime | None]
    welcome_status: Mapped[str | None] = mapped_column(String(8))
    synced_at: Mapped[datetime | None]  # last seen in a full sync or a verified read
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contact = relationship("WecomContact", back_populates="follows")
    guide = relationship("Guide")

    @property
    def active(self) -> bool:
        """Both sides still have each other."""
        return not (self.deleted_by_customer or self.deleted_by_guide)


class ContactWay(Model):
    """A 联系我 code (``add_contact_way``) of a guide, a store or a live campaign."""

    __tablename__ = "wecom_contact_ways"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # guide | store | campaign
    config_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(30), unique=True)
    qr_code: Mapped[str] = mapped_column(String(255), default="")
    userids: Mapped[str] = mapped_column(String(255), default="")  # comma separated
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(index=True)  # livestream, no FK upward
    share_code: Mapped[str | None] = mapped_column(String(32))  # binding rules, as a share code
    status: Mapped[str] = mapped_column(String(8), default=WAY_ACTIVE)
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactSyncRun(Model):
    """A full sync of one guide's contacts; keeps its cursor so a failure resumes."""

    __tablename__ = "wecom_contact_sync_runs"
    __table_args__ = (Index("ix_wecom_contact_sync_runs_userid_status", "userid", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    userid: Mapped[str] = mapped_column(String(64))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"))
    status: Mapped[str] = mapped_column(String(12), default="running")  # running|done|failed
    cursor: Mapped[str | None] = mapped_column(String(255))
    calls: Mapped[int] = mapped_column(default=0)
    contacts_seen: Mapped[int] = mapped_column(default=0)
    contacts_created: Mapped[int] = mapped_column(default=0)
    follows_gone: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
