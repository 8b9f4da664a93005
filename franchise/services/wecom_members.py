"""WeCom's member directory: the nightly / on-demand sync, the picker's query, and the
rule that a guide's WeCom account is a member of the directory linked to no other guide.

``sync_directory`` reads ``department/list`` then ``user/list`` per department (see
``app/wechat/wecom_directory.py`` for why these calls) and upserts ``wecom_departments``
and ``wecom_members`` in one transaction; a member WeCom no longer lists keeps its row
with ``present`` false, so a guide's name still reads but the member cannot be chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from app.list_query import search
from app.wechat import wecom_directory
from app.wechat.errors import WeChatError
from franchise.models import Guide
from franchise.models.wecom_members import WecomDepartment, WecomMember
from franchise.services.base import invalid


class DirectoryUnavailable(DomainError):
    """WeCom did not answer the directory read; the message carries WeCom's reason."""

    status = 502
    code = "wecom_refused"


@dataclass
class SyncResult:
    departments: int
    members: int
    gone: int


def sync_directory(client=None) -> SyncResult:
    """Read the whole directory from WeCom and store it; nothing is written on a failure."""
    try:
        departments = wecom_directory.departments(client)
        listed: dict[str, dict] = {}
        for dept in departments:
            for user in wecom_directory.department_members(int(dept["id"]), client):
                listed.setdefault(str(user["userid"]), user)  # several departments: once
    except WeChatError as exc:
        raise DirectoryUnavailable(str(exc)) from exc
    now = utcnow()
    names = {int(d["id"]): str(d.get("name") or d["id"]) for d in departments}
    _store_departments(departments, now)
    gone = 0
    for row in db.session.scalars(select(WecomMember)):
        if row.userid not in listed:
            gone += int(row.present)
            row.present = False
            continue
        _fill(row, listed.pop(row.userid), names, now)
    for userid, user in listed.items():
        db.session.add(_fill(WecomMember(userid=userid), user, names, now))
    db.session.commit()
    members = db.session.scalar(
        select(db.func.count()).select_from(WecomMember).where(WecomMember.present)
    )
    return SyncResult(departments=len(departments), members=int(members or 0), gone=gone)


def _store_departments(departments: list[dict], now) -> None:
    rows = {d.id: d for d in db.session.scalars(select(WecomDepartment))}
    for d in departments:
        row = rows.pop(int(d["id"]), None) or WecomDepartment(id=int(d["id"]))
        row.name = str(d.get("name") or d["id"])[:64]
        row.parent_id = int(d.get("parentid") or 0)
        row.present, row.synced_at = True, now
        db.session.add(row)
    for row in rows.values():
        row.present = False


def _fill(row: WecomMember, member: dict, names: dict[int, str], now) -> WecomMember:
    depts = member.get("department") or [1]
    main = int(member.get("main_department") or depts[0])
    row.name = str(member.get("name") or row.userid)[:64]
    row.department_id = main
    row.department_name = names.get(main, "")[:64]
    row.status = int(member.get("status") or wecom_directory.ACTIVATED)
    row.present, row.synced_at = True, now
    return row


def last_synced_at():
    """When the directory was last read from WeCom (``None`` before the first sync)."""
    return db.session.scalar(select(db.func.max(WecomDepartment.synced_at)))


def members_stmt(
    q: str | None = None, *, linked: bool | None = None, keep: str | None = None
) -> Select:
    """Members WeCom lists, by name; ``q`` searches name, department and userid;
    ``linked`` False leaves out members a guide holds (but ``keep``, the edited guide's
    own), True keeps only those."""
    stmt = (
        select(WecomMember)
        .where(WecomMember.present)
        .order_by(WecomMember.name, WecomMember.id)
        .options(selectinload(WecomMember.guide))
    )
    stmt = search(
        stmt, (q or "").strip(), WecomMember.name, WecomMember.department_name, WecomMember.userid
    )
    if linked is not None:
        held = select(Guide.wecom_userid)
        if keep:
            held = held.where(Guide.wecom_userid != keep)
        column = WecomMember.userid
        stmt = stmt.where(column.in_(held) if linked else column.not_in(held))
    return stmt


def member_name(userid: str | None) -> str:
    """A colleague's name from the directory (pages where no guide holds the userid);
    the userid itself only when WeCom's list never named it."""
    if not userid:
        return ""
    name = db.session.scalar(select(WecomMember.name).where(WecomMember.userid == userid))
    return name or userid


def check_member(userid: str, guide_id: int | None = None) -> WecomMember:
    """The directory member ``userid`` a guide may link to, or a 422 on ``wecom_userid``:
    not a member WeCom lists (sync first), or already another guide's account."""
    member = db.session.scalars(
        select(WecomMember).where(WecomMember.userid == userid, WecomMember.present)
    ).first()
    if member is None:
        raise invalid("wecom_userid", "Not a member of the WeCom directory.")
    other = select(Guide.id).where(Guide.wecom_userid == userid)
    if guide_id is not None:
        other = other.where(Guide.id != guide_id)
    if db.session.scalars(other).first() is not None:
        raise invalid("wecom_userid", "This WeCom member is already linked to another guide.")
    return member
