"""Tags on people: a guide (or a rule) tags a customer, WeCom's ``mark_tag`` follows.

A person is a customer (``customer_id``) and / or a WeCom contact (``external_userid``
of a guide). ``set_tags`` adds and removes links and commits; when the person is a
WeCom contact of a guide and the tag is in WeCom, one outbox message per call
(``MARK_KIND``) calls ``mark_tag`` after the commit; the links become ``synced``, or
``refused`` with WeCom's errcode and reason (shown where the tag is shown).

Who is whose contact: the follows of ``community.services.people.contacts_of`` (the
group members' owners until the contacts sync fills its own table).

Queries for the planner and the contacts API: ``tags_of`` (a customer id or an external
userid), ``customers_with_tag``, ``groups_with_tag`` (the calendar's filter),
``tags_by_customer`` / ``tags_by_external`` for pages.
"""

from __future__ import annotations

from collections import defaultdict
from secrets import token_hex

from sqlalchemy import delete, or_, select

from app.extensions import db
from app.outbox import GiveUp, RetryLater, enqueue
from app.wechat import wecom_customers
from app.wechat.errors import WeChatAPIError, WeChatError, as_retry_later
from community.models.groups import GroupMember
from community.models.wecom_customers import (
    LINK_LOCAL,
    LINK_PENDING,
    LINK_REFUSED,
    LINK_SYNCED,
    TAG_MANUAL,
    CustomerTag,
    CustomerTagLink,
    TagGroup,
)
from community.services.people import contacts_of
from franchise.models import Customer

MARK_KIND = "community.mark_tag"


def subject_of(customer_id: int | None, external_userid: str | None) -> str:
    """The link key of a person: their customer id, else their WeCom external userid."""
    return f"c{customer_id}" if customer_id else f"e{external_userid}"


def _tags(ids: list[int], field: str) -> list[CustomerTag]:
    if not ids:
        return []
    rows = db.session.scalars(
        select(CustomerTag).where(CustomerTag.id.in_(ids), CustomerTag.deleted.is_(False))
    ).all()
    if len(rows) != len(set(ids)):
        from app.errors import DomainError

        raise DomainError("No such tag.", status=422, errors={field: ["Unknown tag."]})
    return list(rows)


def set_tags(
    *,
    customer: Customer | None = None,
    external_userid: str | None = None,
    add: list[int] = (),  # type: ignore[assignment]
    remove: list[int] = (),  # type: ignore[assignment]
    source: str = TAG_MANUAL,
    guide_userid: str | None = None,
) -> int:
    """Add / remove tags of one person (commits); returns how many links changed."""
    customer_id = customer.id if customer else None
    contacts = contacts_of(customer_id, external_userid)
    if guide_userid:
        contacts = [c for c in contacts if c[0] == guide_userid] or contacts
    follow = contacts[0] if contacts else (None, external_userid)
    subject = subject_of(customer_id, external_userid or follow[1])
    added, removed = _tags(list(add), "add"), _tags(list(remove), "remove")
    existing = {
        link.tag_id: link
        for link in db.session.scalars(
            select(CustomerTagLink).where(CustomerTagLink.subject == subject)
        )
    }
    changed = 0
    for tag in added:
        if tag.id in existing:
            continue
        syncs = bool(follow[0] and follow[1])  # a tag not in WeCom yet follows its add
        db.session.add(
            CustomerTagLink(
                tag_id=tag.id,
                subject=subject,
                customer_id=customer_id,
                external_userid=follow[1],
                guide_userid=follow[0],
                franchisee_id=customer.franchisee_id if customer else None,
                store_id=customer.store_id if customer else None,
                guide_id=customer.guide_id if customer else None,
                source=source,
                status=LINK_PENDING if syncs else LINK_LOCAL,
            )
        )
        changed += 1
    gone = [t.id for t in removed if t.id in existing]
    if gone:
        db.session.execute(
            delete(CustomerTagLink).where(
                CustomerTagLink.subject == subject, CustomerTagLink.tag_id.in_(gone)
            )
        )
        changed += len(gone)
    wecom_add = [t.wecom_id for t in added if t.wecom_id and t.id not in existing]
    wecom_remove = [t.wecom_id for t in removed if t.wecom_id and t.id in gone]
    if follow[0] and follow[1] and (wecom_add or wecom_remove):
        payload: dict = {"userid": follow[0], "external_userid": follow[1], "subject": subject}
        payload.update(add=wecom_add, remove=wecom_remove)
        enqueue(MARK_KIND, payload, f"mark-tag:{subject}:{token_hex(6)}")
    db.session.commit()
    # a guide added a tag: its journeys at once (rules tag in bulk at night: the journeys'
    # nightly run, hours later, enrols those)
    if customer_id is not None and changed > len(gone) and source == TAG_MANUAL:
        from community.services.journey_triggers import on_tagged

        on_tagged(customer_id)
    return changed


def push_waiting_links(tag_ids: list[int]) -> int:
    """Once WeCom knows these tags: queue ``mark_tag`` for the links that waited for them
    (no commit); returns how many calls were queued."""
    waiting = db.session.execute(
        select(
            CustomerTagLink.subject,
            CustomerTagLink.guide_userid,
            CustomerTagLink.external_userid,
            CustomerTag.wecom_id,
        )
        .join(CustomerTag, CustomerTag.id == CustomerTagLink.tag_id)
        .where(
            CustomerTagLink.tag_id.in_(tag_ids),
            CustomerTagLink.status == LINK_PENDING,
            CustomerTag.wecom_id.is_not(None),
        )
    ).all()
    by_person: dict[tuple, list[str]] = defaultdict(list)
    for subject, userid, external, wecom_id in waiting:
        if wecom_id:
            by_person[(subject, userid, external)].append(wecom_id)
    for (subject, userid, external), wecom_ids in by_person.items():
        payload = {"userid": userid, "external_userid": external, "subject": subject}
        payload.update(add=wecom_ids, remove=[])
        enqueue(MARK_KIND, payload, f"mark-tag:{subject}:{token_hex(6)}")
    return len(by_person)


def handle_mark_tag(message) -> dict:
    """Outbox handler for ``MARK_KIND``: ``mark_tag``, then the links' status."""
    p = message.payload
    db.session.commit()
    try:
        wecom_customers.mark_tag(p["userid"], p["external_userid"], p["add"], p["remove"])
    except WeChatAPIError as exc:
        _mark(p, LINK_REFUSED, f"{exc.errcode}: {exc.errmsg}")
        raise GiveUp(str(exc)) from exc
    except WeChatError as exc:
        raise as_retry_later(exc) or RetryLater(str(exc)) from exc
    _mark(p, LINK_SYNCED, None)
    return {"subject": p["subject"], "added": len(p["add"]), "removed": len(p["remove"])}


def _mark(payload: dict, status: str, error: str | None) -> None:
    tag_ids = select(CustomerTag.id).where(CustomerTag.wecom_id.in_(payload["add"] or [""]))
    for link in db.session.scalars(
        select(CustomerTagLink).where(
            CustomerTagLink.subject == payload["subject"], CustomerTagLink.tag_id.in_(tag_ids)
        )
    ):
        link.status, link.error = status, error
    db.session.commit()


def _label_rows(condition) -> list:
    return list(
        db.session.execute(
            select(
                CustomerTagLink.customer_id,
                CustomerTagLink.external_userid,
                CustomerTag.id,
                CustomerTag.name,
                TagGroup.name,
                CustomerTagLink.status,
                CustomerTagLink.error,
            )
            .join(CustomerTag, CustomerTag.id == CustomerTagLink.tag_id)
            .join(TagGroup, TagGroup.id == CustomerTag.group_id)
            .where(condition, CustomerTag.deleted.is_(False))
            .order_by(TagGroup.order, CustomerTag.order, CustomerTag.id)
        )
    )


def _as_tag(row) -> dict:
    return {"id": row[2], "name": row[3], "group": row[4], "status": row[5], "error": row[6]}


def tags_of(person: int | str) -> list[dict]:
    """The tags of a customer (id) or of a WeCom contact (external userid)."""
    if isinstance(person, int):
        condition = CustomerTagLink.customer_id == person
    else:
        condition = CustomerTagLink.external_userid == person
    return [_as_tag(r) for r in _label_rows(condition)]


def _tags_by(column, keys: list, at: int) -> dict:
    """Tags per person of a page, in one query: ``keys`` of ``column``, each row's key
    at ``at`` (0 the customer id, 1 the external userid)."""
    found: dict = defaultdict(list)
    if keys:
        for row in _label_rows(column.in_(keys)):
            found[row[at]].append(_as_tag(row))
    return found


def tags_by_customer(customer_ids: list[int]) -> dict[int, list[dict]]:
    """Tags per customer of a page, in one query."""
    return _tags_by(CustomerTagLink.customer_id, customer_ids, 0)


def tags_by_external(userids: list[str]) -> dict[str, list[dict]]:
    """Tags per WeCom contact of a page, in one query."""
    return _tags_by(CustomerTagLink.external_userid, userids, 1)


def customers_with_tag(tag_id: int) -> list[int]:
    """Ids of the customers carrying the tag (the planner's audience)."""
    return list(
        db.session.scalars(
            select(CustomerTagLink.customer_id)
            .where(CustomerTagLink.tag_id == tag_id, CustomerTagLink.customer_id.is_not(None))
            .order_by(CustomerTagLink.customer_id)
        )
    )


def customers_with_tag_stmt(tag_id: int):
    """The same as a subquery for list filters (``Customer.id.in_(...)``)."""
    return select(CustomerTagLink.customer_id).where(CustomerTagLink.tag_id == tag_id)


def groups_with_tag(tag: str):
    """Select of the ids of the groups with a current member carrying ``tag`` (a tag id or
    name) — by the member's external userid or the customer it is matched to (the
    planning calendar's ``?tag=`` filter)."""
    externals, customers = subjects_with_tag(tag)
    return select(GroupMember.group_id).where(
        GroupMember.left_at.is_(None),
        or_(GroupMember.userid.in_(externals), GroupMember.customer_id.in_(customers)),
    )


def subjects_with_tag(tag: str):
    """``(external userids, customer ids)`` selects of the people carrying ``tag`` (a tag
    id, or the name of a live tag) — the contacts list's ``?tag=`` filter."""
    if tag.isdigit():
        tag_ids = select(CustomerTag.id).where(CustomerTag.id == int(tag))
    else:
        tag_ids = select(CustomerTag.id).where(
            CustomerTag.name == tag.strip(), CustomerTag.deleted.is_(False)
        )
    links = select(CustomerTagLink).where(CustomerTagLink.tag_id.in_(tag_ids)).subquery()
    return (
        select(links.c.external_userid).where(links.c.external_userid.is_not(None)),
        select(links.c.customer_id).where(links.c.customer_id.is_not(None)),
    )
