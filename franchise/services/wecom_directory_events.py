"""WeCom's 通讯录变更 callbacks (``change_contact``) applied to the synced directory.

Which app receives them: WeCom sends ``change_contact`` to the 通讯录同步助手, to
代开发自建应用 and to a self-built app with "接收事件" on, for the members and
departments in that app's visible range (可见范围) — the same range the directory sync
reads (docs/WECOM_DIRECTORY.md). The fields each ChangeType carries (成员变更通知 /
部门变更通知):

- ``create_user``: ``UserID``, ``Name``, ``Department`` ("1,2,3"), ``MainDepartment``,
  ``Status`` (1 activated, 2 disabled, 4 not activated) and fields Siyu does not keep;
- ``update_user``: ``UserID``, ``NewUserID`` when the userid itself changed, and only the
  fields that changed (``Name``, ``Department``, ``MainDepartment``, ``Status`` ...);
- ``delete_user``: ``UserID`` only;
- ``create_party``: ``Id``, ``Name``, ``ParentId``, ``Order``;
- ``update_party``: ``Id`` and the changed ``Name`` / ``ParentId``;
- ``delete_party``: ``Id`` only.

Since 2022-08-15 a callback URL newly set on the 通讯录同步助手 gets only ``UserID`` and
``Department`` of a member, so a missing ``Name`` keeps the stored one (or the userid
until the next sync names the member).

Rules: each event sets state (never increments), so a re-sent event changes nothing; an
event older (by WeCom's ``CreateTime``) than the last one applied to the same member or
department is ignored, so a retry WeCom delivers late cannot undo a newer change (a
``delete_user`` followed by a late ``update_user`` leaves the member gone); a
member or department Siyu has not synced yet is kept as a row and completed by the next
sync; ``delete_user`` of a member a guide holds records the ``guide_wecom_left`` alert once
(the guide is not departed here: HQ hands over the customers first); a changed userid
moves the guide's link with it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from app.clock import as_utc, utcnow
from app.extensions import db
from franchise.models import Guide, Store
from franchise.models.wecom_members import MEMBER_STATUSES, WecomDepartment, WecomMember
from franchise.services import alerts

log = logging.getLogger("siyu.franchise")

GUIDE_WECOM_LEFT = "guide_wecom_left"


def _ids(raw) -> list[int]:
    """ "1,2,3" (or a single id) as ints; anything unreadable is left out."""
    return [int(p) for p in str(raw or "").split(",") if p.strip().lstrip("-").isdigit()]


def _member(userid: str) -> WecomMember:
    """The stored member, or a new row (present) the next sync completes."""
    row = db.session.scalars(select(WecomMember).where(WecomMember.userid == userid)).first()
    if row is None:
        row = WecomMember(userid=userid, name=userid, department_id=1, department_name="")
        db.session.add(row)
    return row


def _event_time(event: dict) -> datetime | None:
    """WeCom's ``CreateTime`` (epoch seconds) as aware UTC; ``None`` when absent."""
    raw = str(event.get("CreateTime") or "")
    return datetime.fromtimestamp(int(raw), UTC) if raw.isdigit() else None


def _outdated(row: WecomMember | WecomDepartment, event: dict) -> bool:
    """True when a later event was already applied to ``row``; otherwise mark ``row`` as
    holding this event's time (a row without one, or an event without one, applies)."""
    moment = _event_time(event)
    if moment is None:
        return False
    if row.event_at is not None and moment < as_utc(row.event_at):
        log.info("wecom directory: an older %s ignored", event.get("ChangeType"))
        return True
    row.event_at = moment
    return False


def _department_name(dept_id: int) -> str:
    name = db.session.scalar(select(WecomDepartment.name).where(WecomDepartment.id == dept_id))
    return (name or "")[:64]


def _apply_user(row: WecomMember, event: dict) -> None:
    """Copy the fields the event carries; absent fields keep their stored value."""
    if event.get("Name"):
        row.name = str(event["Name"])[:64]
    depts = _ids(event.get("Department"))
    main = _ids(event.get("MainDepartment"))
    if main or depts:
        row.department_id = (main or depts)[0]
        row.department_name = _department_name(row.department_id)
    status = _ids(event.get("Status"))
    if status and status[0] in MEMBER_STATUSES:
        row.status = status[0]
    row.present, row.synced_at = True, utcnow()


def _rename(row: WecomMember, new_userid: str) -> None:
    """WeCom changed the member's userid: the row and the guide holding it follow."""
    old = row.userid
    clash = db.session.scalars(select(WecomMember).where(WecomMember.userid == new_userid)).first()
    if clash is not None and clash is not row:
        db.session.delete(clash)  # a row the sync made from a later read of the same person
        db.session.flush()
    for guide in db.session.scalars(select(Guide).where(Guide.wecom_userid == old)):
        guide.wecom_userid = new_userid
    row.userid = new_userid


def _member_to_change(event: dict) -> WecomMember | None:
    """The member the event names (a new row when unknown), or ``None`` when it names
    none or a later event was already applied to it."""
    userid = str(event.get("UserID") or "")
    if not userid:
        return None
    row = _member(userid)
    return None if _outdated(row, event) else row


def _upsert_user(event: dict) -> None:
    row = _member_to_change(event)
    if row is None:
        return
    userid = row.userid
    new_userid = str(event.get("NewUserID") or "")
    if new_userid and new_userid != userid:
        _rename(row, new_userid)
    _apply_user(row, event)
    db.session.commit()


def _delete_user(event: dict) -> None:
    """The member left the corp: kept, not present; the holding guide is flagged once."""
    row = _member_to_change(event)
    if row is None:
        return
    userid = row.userid
    was_present = row.present or row.id is None
    row.present, row.status, row.synced_at = False, 5, utcnow()
    guide = db.session.scalars(select(Guide).where(Guide.wecom_userid == userid)).first()
    facts = None
    if guide is not None and was_present:
        franchisee_id = db.session.scalar(
            select(Store.franchisee_id).where(Store.id == guide.store_id)
        )
        facts = (
            {"guide_id": guide.id, "guide": guide.name, "member": row.name},
            franchisee_id,
        )
    db.session.commit()
    if facts is not None:  # after the commit: record() starts its own transaction
        alerts.record(GUIDE_WECOM_LEFT, data=facts[0], franchisee_id=facts[1])


def _party(event: dict, *, present: bool = True) -> None:
    dept_ids = _ids(event.get("Id"))
    if not dept_ids:
        return
    dept_id = dept_ids[0]
    row = db.session.get(WecomDepartment, dept_id)
    if row is None:
        row = WecomDepartment(id=dept_id, name=str(dept_id), parent_id=0)
        db.session.add(row)
    if _outdated(row, event):
        return
    if event.get("Name"):
        row.name = str(event["Name"])[:64]
        for member in db.session.scalars(
            select(WecomMember).where(WecomMember.department_id == dept_id)
        ):
            member.department_name = row.name
    parent = _ids(event.get("ParentId"))
    if parent:
        row.parent_id = parent[0]
    row.present, row.synced_at = present, utcnow()
    db.session.commit()


HANDLERS = {
    "create_user": _upsert_user,
    "update_user": _upsert_user,
    "delete_user": _delete_user,
    "create_party": _party,
    "update_party": _party,
    "delete_party": lambda event: _party(event, present=False),
}


def handle_change_contact(event: dict) -> None:
    """Apply one ``change_contact`` event (other ChangeTypes, e.g. ``update_tag``, are
    not kept). A failure rolls back and re-raises: the callback answers 503 and WeCom
    sends the event again."""
    handler = HANDLERS.get(str(event.get("ChangeType") or ""))
    if handler is None:
        return
    try:
        handler(event)
    except Exception:
        db.session.rollback()
        raise
    log.info("wecom directory %s applied", event.get("ChangeType"))
