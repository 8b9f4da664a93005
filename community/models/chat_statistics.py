"""WeCom's daily group-chat statistics per group owner (``groupchat/statistic``), read back
nightly so a post's report can show the groups' activity around its send day.

WeCom aggregates these figures per group owner (群主) and day, not per group: one row per
(owner userid, Shanghai day) — the read-back's unique key, so a second read of the same
day writes nothing new. The owner's guide, store and franchisee are kept beside it for
the tenant scope.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import Model

# WeCom's field names in ``items[].data`` (server API doc 92133), stored under the same names
STAT_FIELDS = (
    "new_chat_cnt",
    "chat_total",
    "chat_has_msg",
    "new_member_cnt",
    "member_total",
    "member_has_msg",
    "msg_total",
    "migrate_trainee_chat_cnt",
)


class GroupChatStat(Model):
    """One group owner's customer-group figures for one day, as WeCom counted them."""

    __tablename__ = "group_chat_stats"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (UniqueConstraint("owner_userid", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_userid: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date, index=True)
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    new_chat_cnt: Mapped[int] = mapped_column(default=0)  # groups created that day
    chat_total: Mapped[int] = mapped_column(default=0)  # groups at the end of the day
    chat_has_msg: Mapped[int] = mapped_column(default=0)  # groups with a message that day
    new_member_cnt: Mapped[int] = mapped_column(default=0)  # members who joined that day
    member_total: Mapped[int] = mapped_column(default=0)  # members at the end of the day
    member_has_msg: Mapped[int] = mapped_column(default=0)  # members who spoke that day
    msg_total: Mapped[int] = mapped_column(default=0)  # messages that day
    migrate_trainee_chat_cnt: Mapped[int] = mapped_column(default=0)  # groups migrated in
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
