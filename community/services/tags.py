"""HQ's customer tag library, kept in sync with WeCom's corp tags both ways.

* Siyu → WeCom: ``create_group`` writes the group and its tags and commits, then the
  outbox (``TAG_SYNC_KIND``) calls ``add_corp_tag`` and keeps WeCom's ids;
  ``rename`` → ``edit_corp_tag``; ``delete_tag`` / ``delete_group`` → ``del_corp_tag``.
  A refusal is kept on the row (``sync_error``: WeCom's errcode and reason) and shown.
* WeCom → Siyu: ``pull`` reads ``get_corp_tag_list`` and upserts by WeCom id (new
  groups and tags appear, renames follow, what WeCom no longer lists is marked deleted);
  the ``change_external_tag`` callback (an admin edited the library in WeCom; calls
  through the API fire none) runs it, and so does the nightly tag job.
"""

from __future__ import annotations

import logging
from secrets import token_hex

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError
from app.extensions import db
from app.outbox import GiveUp, RetryLater, enqueue
from app.wechat import wecom_customers
from app.wechat.errors import WeChatAPIError, WeChatError, as_retry_later
from community.models.wecom_customers import CustomerTag, TagGroup

log = logging.getLogger("siyu.community")

TAG_SYNC_KIND = "community.tag_sync"
MAX_NAME = 30  # WeCom's limit for a tag or group name


def _name(value: str, field: str) -> str:
    name = (value or "").strip()
    if not name or len(name) > MAX_NAME:
        raise DomainError(
            f"1 to {MAX_NAME} characters.", status=422, errors={field: ["1..30 characters"]}
        )
    return name


def _queue(action: str, **payload) -> None:
    """One sync call per service call (a retry of the message is the same row)."""
    key = f"tag-sync:{action}:{payload.get('id') or payload.get('group_id')}:{token_hex(6)}"
    enqueue(TAG_SYNC_KIND, {"action": action, **payload}, key)


def create_group(name: str, tag_names: list[str], order: int = 0) -> TagGroup:
    """A tag group with its tags (commits); WeCom's ``add_corp_tag`` follows."""
    name = _name(name, "name")
    tags = [_name(t, "tags") for t in dict.fromkeys(t.strip() for t in tag_names if t.strip())]
    if not tags:
        raise DomainError("A group needs a tag.", status=422, errors={"tags": ["Required."]})
    group = db.session.scalars(select(TagGroup).where(TagGroup.name == name)).first()
    if group is None:
        group = TagGroup(name=name, order=order)
        db.session.add(group)
        db.session.flush()
    existing = {t.name for t in group.tags}
    for i, tag_name in enumerate(tags):
        if tag_name not in existing:
            db.session.add(CustomerTag(group_id=group.id, name=tag_name, order=i))
    group.deleted = False
    db.session.flush()
    _queue("add", group_id=group.id)
    db.session.commit()
    return group


def rename(tag: CustomerTag | TagGroup, name: str) -> None:
    """Rename a tag or a group here and in WeCom (commits)."""
    tag.name = _name(name, "name")
    kind = "group" if isinstance(tag, TagGroup) else "tag"
    _queue("edit", kind=kind, id=tag.id, name=tag.name)
    db.session.commit()


def delete_tag(tag: CustomerTag) -> None:
    """Delete a tag (its customers lose it) here and in WeCom (commits)."""
    tag.deleted = True
    _queue("del", kind="tag", id=tag.id)
    db.session.commit()


def _refused(row, exc: WeChatAPIError) -> GiveUp:
    row.sync_error = f"{exc.errcode}: {exc.errmsg}"[:2000]
    db.session.commit()
    return GiveUp(str(exc))


def _add(group: TagGroup) -> dict:
    missing = [t for t in group.tags if t.wecom_id is None and not t.deleted]
    if not missing:
        return {"added": 0}
    body: dict = {"tag": [{"name": t.name, "order": t.order} for t in missing]}
    if group.wecom_id:
        body["group_id"] = group.wecom_id
    else:
        body.update(group_name=group.name, order=group.order)
    db.session.commit()
    answer = wecom_customers.add_corp_tag(body)
    group.wecom_id, group.sync_error = answer["group_id"], None
    ids = {t["name"]: t["id"] for t in answer.get("tag") or []}
    for tag in missing:
        tag.wecom_id, tag.sync_error = ids.get(tag.name), None
    from community.services.tag_links import push_waiting_links

    push_waiting_links([t.id for t in missing])  # guides tagged before WeCom knew the tag
    db.session.commit()
    return {"added": len(ids)}


def handle_tag_sync(message) -> dict:
    """Outbox handler for ``TAG_SYNC_KIND`` (add / edit / del)."""
    payload = message.payload
    action = payload["action"]
    row_id = int(payload.get("group_id") or payload["id"])
    if payload.get("kind") == "group" or action == "add":
        row: TagGroup | CustomerTag | None = db.session.get(TagGroup, row_id)
    else:
        row = db.session.get(CustomerTag, row_id)
    if row is None:
        raise GiveUp("tag row is gone")
    try:
        if isinstance(row, TagGroup) and action == "add":
            return _add(row)
        if row.wecom_id is None:
            raise GiveUp("not in WeCom yet")
        wecom_id = row.wecom_id
        db.session.commit()
        if action == "edit":
            wecom_customers.edit_corp_tag(wecom_id, payload["name"])
        else:
            wecom_customers.del_corp_tag(tag_ids=[wecom_id])
        return {action: wecom_id}
    except WeChatAPIError as exc:
        raise _refused(row, exc) from exc
    except WeChatError as exc:
        raise as_retry_later(exc) or RetryLater(str(exc)) from exc


def pull() -> dict:
    """Read WeCom's library and apply it here (commits); returns counts. A name WeCom
    allows twice where Siyu's is unique leaves ours as it was (logged), so a callback is
    not refused again and again."""
    db.session.commit()
    remote = wecom_customers.get_corp_tag_list()
    try:
        return _apply_library(remote)
    except IntegrityError:
        db.session.rollback()
        log.warning("WeCom's tag library clashes with a name here; not applied")
        return {"groups": 0, "tags": 0, "created": 0, "clash": 1}


def _apply_library(remote: list[dict]) -> dict:
    groups = {g.wecom_id: g for g in db.session.scalars(select(TagGroup)) if g.wecom_id}
    tags = {t.wecom_id: t for t in db.session.scalars(select(CustomerTag)) if t.wecom_id}
    seen_groups, seen_tags, created = set(), set(), 0
    for g in remote:
        group = groups.get(g["group_id"])
        if group is None:
            group = db.session.scalars(
                select(TagGroup).where(TagGroup.name == g["group_name"][:MAX_NAME])
            ).first() or TagGroup(name=g["group_name"][:MAX_NAME])
            group.wecom_id = g["group_id"]
            db.session.add(group)
            db.session.flush()
        group.name, group.order = g["group_name"][:MAX_NAME], int(g.get("order") or 0)
        group.deleted = bool(g.get("deleted"))
        seen_groups.add(g["group_id"])
        for t in g.get("tag") or []:
            tag = tags.get(t["id"])
            if tag is None:
                tag = CustomerTag(group_id=group.id, wecom_id=t["id"])
                db.session.add(tag)
                created += 1
            tag.name, tag.order = t["name"][:MAX_NAME], int(t.get("order") or 0)
            tag.group_id, tag.deleted = group.id, bool(t.get("deleted"))
            seen_tags.add(t["id"])
    for wecom_id, group in groups.items():
        group.deleted = group.deleted or wecom_id not in seen_groups
    for wecom_id, tag in tags.items():
        tag.deleted = tag.deleted or wecom_id not in seen_tags
    db.session.commit()
    return {"groups": len(seen_groups), "tags": len(seen_tags), "created": created}


def handle_change_external_tag(event: dict) -> None:
    """``change_external_tag`` (create / update / delete / shuffle): read the library
    again. A WeChat outage raises, so WeCom retries the callback."""
    log.info("change_external_tag %s %s", event.get("ChangeType"), event.get("Id"))
    pull()


def library() -> list[TagGroup]:
    """The live tag groups with their tags, in WeCom's order."""
    return list(
        db.session.scalars(
            select(TagGroup)
            .where(TagGroup.deleted.is_(False))
            .order_by(TagGroup.order, TagGroup.id)
        )
    )


__all__ = [
    "TAG_SYNC_KIND",
    "create_group",
    "delete_tag",
    "handle_change_external_tag",
    "handle_tag_sync",
    "library",
    "pull",
    "rename",
]
