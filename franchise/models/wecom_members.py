"""WeCom's member directory as last synced: departments and members (``wecom_departments``,
``wecom_members``).

A guide's WeCom account is chosen from these rows (never typed): a member is linked when
a guide carries its ``userid``. Rows are written only by
``franchise.services.wecom_members.sync_directory``; a member WeCom no longer lists stays
with ``present`` false (a departed guide's name still reads). HQ only: no scope keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model

if TYPE_CHECKING:
    from franchise.models.org import Guide

__all__ = ["MEMBER_STATUSES", "WecomDepartment", "WecomMember"]

# user/list ``status``: 1 activated, 2 disabled, 4 not activated, 5 left the corp
MEMBER_STATUSES = (1, 2, 4, 5)


class WecomDepartment(Model):
    """A department of the corp as WeCom lists it (``department/list``)."""

    __tablename__ = "wecom_departments"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # WeCom's id
    name: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int] = mapped_column(default=0)
    present: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # WeCom's CreateTime of the last change_contact event applied (an older one is ignored)
    event_at: Mapped[datetime | None] = mapped_column(default=None)


class WecomMember(Model):
    """A member of the corp (``user/list``): userid, name, main department, status."""

    __tablename__ = "wecom_members"
    __table_args__ = (Index("ix_wecom_members_present_name", "present", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    userid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(default=1)
    department_name: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[int] = mapped_column(default=1)
    present: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # WeCom's CreateTime of the last change_contact event applied (an older one is ignored)
    event_at: Mapped[datetime | None] = mapped_column(default=None)

    # the guide linked to this member, if any (a guide's userid is unique)
    guide: Mapped[Guide | None] = relationship(
        primaryjoin="foreign(Guide.wecom_userid) == WecomMember.userid",
        viewonly=True,
        uselist=False,
    )

    @property
    def guide_id(self) -> int | None:
        return self.guide.id if self.guide is not None else None

    @property
    def guide_name(self) -> str:
        return self.guide.name if self.guide is not None else ""

    @property
    def label(self) -> str:
        """The member as people read it: "name · department"."""
        return f"{self.name} · {self.department_name}" if self.department_name else self.name

    def __repr__(self) -> str:
        return f"<WecomMember {self.userid}>"
