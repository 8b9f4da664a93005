"""External contacts: the upserts the sync and the callbacks share, the unionid link to
the mini-program customer, and the read functions other parts of the domain call.

Public for the rest of ``community`` (hand-over, tags, group member lists):
``contact_by_external_userid``, ``follows_of_guide``, ``link_contact_to_customer``,
``link_by_unionid`` and ``contact_tags`` (the one place a contact's tags come from).

One person is one customer: a contact never creates a customer. It is linked to the
customer with the same ``unionid`` when that customer exists, and the mini-program login
links the contacts waiting for it (``franchise`` calls the ``CUSTOMER_LOGGED_IN`` hook,
``community`` listens). Both sides link again after their own commit
(``link_by_unionid``), so whichever commits last sees the other's row: no interleaving
leaves a contact unlinked or makes a second customer (``customers.unionid`` is unique).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import bindparam, exists, select, update

from app.clock import as_utc, from_unix_seconds, utcnow
from app.direct_read import read_rows
from app.extensions import db
from community.models.contacts import ContactFollow, WecomContact
from franchise.models import Customer, Guide


def cut(value, size: int) -> str:
    """``value`` as text of at most ``size`` characters ("" for None)."""
    return str(value or "")[:size]


# --- reads ------------------------------------------------------------------------------


def contact_by_external_userid(external_userid: str) -> WecomContact | None:
    """The contact WeCom calls ``external_userid``, or None."""
    return db.session.scalars(
        select(WecomContact).where(WecomContact.external_userid == external_userid)
    ).first()


def follows_of_guide(guide_id: int, *, active_only: bool = True) -> list[ContactFollow]:
    """The guide's follows (newest first); ``active_only`` leaves out deleted ones."""
    stmt = select(ContactFollow).where(ContactFollow.guide_id == guide_id)
    if active_only:
        stmt = stmt.where(
            ContactFollow.deleted_by_customer.is_(False), ContactFollow.deleted_by_guide.is_(False)
        )
    return list(db.session.scalars(stmt.order_by(ContactFollow.add_time.desc())))


def follow_of(userid: str, external_userid: str) -> ContactFollow | None:
    """The follow of one guide userid and one contact, or None."""
    return db.session.scalars(
        select(ContactFollow).where(
            ContactFollow.userid == userid, ContactFollow.external_userid == external_userid
        )
    ).first()


def contact_tags(contact_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each contact's tag names, for every list that shows tags (the contacts API, CSV,
    group members). The one source of a contact's tags: the tags on the contact's
    external userid and on its customer (``community.services.tag_links``)."""
    from community.services.tag_links import tags_by_customer, tags_by_external

    ids = list(contact_ids)
    rows = db.session.execute(
        select(WecomContact.id, WecomContact.external_userid, WecomContact.customer_id).where(
            WecomContact.id.in_(ids)
        )
    ).all()
    by_external = tags_by_external([r[1] for r in rows])
    by_customer = tags_by_customer([r[2] for r in rows if r[2]])
    out: dict[int, list[str]] = {contact_id: [] for contact_id in ids}
    for contact_id, external_userid, customer_id in rows:
        tags = by_external.get(external_userid, []) + by_customer.get(customer_id or 0, [])
        out[contact_id] = list(dict.fromkeys(t["name"] for t in tags))
    return out


# --- linking ----------------------------------------------------------------------------


def link_contact_to_customer(contact: WecomContact, customer: Customer | None) -> bool:
    """Point ``contact`` at ``customer`` (None unlinks); True when it changed. Not committed.

    The customer's unionid is the contact's when the contact had none."""
    new_id = customer.id if customer is not None else None
    if contact.customer_id == new_id:
        return False
    contact.customer_id = new_id
    if customer is not None and customer.unionid and not contact.unionid:
        contact.unionid = customer.unionid
    if customer is not None:
        name_customer(customer, contact.name)
    return True


NICKNAME_SIZE = 64  # ``customers.nickname``


def nickname_from_wecom(current: str | None, wecom_name: str | None) -> str | None:
    """The one rule for naming a customer after their WeCom contact: a customer with no
    nickname (none, "" or only whitespace) takes the name WeChat shows for the contact,
    stripped and cut to the column's 64 characters; a nickname the customer has is never
    replaced. Returns the nickname to set, or None to leave it as it is. Both paths that
    link a contact (``name_customer`` on an ORM customer, ``link_by_unionid``'s UPDATE)
    decide by this function, so they cannot drift apart."""
    if (current or "").strip():
        return None
    name = (wecom_name or "").strip()[:NICKNAME_SIZE].rstrip()
    return name or None


def name_customer(customer: Customer, wecom_name: str | None) -> None:
    """Apply ``nickname_from_wecom`` to an ORM customer (the mini-program no longer hands
    out nicknames, so many customers have none). Not committed."""
    nickname = nickname_from_wecom(customer.nickname, wecom_name)
    if nickname is not None:
        customer.nickname = nickname


def name_customer_by_id(customer_id: int, wecom_name: str | None) -> None:
    """Apply ``nickname_from_wecom`` to the customer row ``customer_id`` without loading
    the customer: one read of the nickname, then an UPDATE guarded on the nickname read,
    so a nickname the customer set meanwhile is never overwritten. Not committed."""
    current = db.session.scalar(select(Customer.nickname).where(Customer.id == customer_id))
    nickname = nickname_from_wecom(current, wecom_name)
    if nickname is None:
        return
    db.session.execute(
        update(Customer)
        .where(Customer.id == customer_id, Customer.nickname == current)
        .values(nickname=nickname)
        .execution_options(synchronize_session=False)
    )


def customer_by_unionid(unionid: str | None) -> Customer | None:
    """The mini-program customer with this unionid, or None."""
    if not unionid:
        return None
    return db.session.scalars(select(Customer).where(Customer.unionid == unionid)).first()


_WAITS = (WecomContact.unionid == bindparam("unionid"), WecomContact.customer_id.is_(None))
_UNLINKED = select(WecomContact.id).where(*_WAITS).limit(1)


WAITING = "contacts_waiting"  # the column read with a returning customer at login


def waiting_column():
    """franchise's ``CUSTOMER_FIND_COLUMNS``: whether a contact with the login's unionid
    is linked to no customer yet, read in the login's own first statement."""
    return exists().where(*_WAITS).label(WAITING)


def waiting_for_customer(unionid: str) -> bool:
    """Whether a contact with ``unionid`` is linked to no customer yet: one read on the
    session's connection outside any transaction (``app.direct_read.read_rows(..., alone=True)``:
    no BEGIN, no COMMIT, one round trip), for a caller that has committed.

    The login asks this before ``link_by_unionid``: run after the login's commit, a
    contact it does not see commits later, and that contact's own link after its commit
    sees the customer; so answering "none" skips nothing ``link_by_unionid`` would have
    linked, and almost every login has nothing to link. (It was a second connection
    from an autocommit engine: a pool checkout with the isolation level set and reset
    around one read.)"""
    return bool(read_rows(db.session.connection(), _UNLINKED, {"unionid": unionid}, alone=True))


def link_by_unionid(unionid: str | None, customer_id: int | None = None) -> list[int]:
    """Link every unlinked contact with ``unionid`` to its customer and commit; returns
    the ids of the contacts linked now. Idempotent; run after each side's own commit so
    the last one to commit sees both rows. ``customer_id``: the customer the caller
    already holds (the login), so it is not looked up again; the link is one
    ``UPDATE … RETURNING``."""
    if customer_id is None:
        customer = customer_by_unionid(unionid)
        customer_id = customer.id if customer is not None else None
    if customer_id is None or not unionid:
        db.session.commit()
        return []
    linked = db.session.execute(
        update(WecomContact)
        .where(WecomContact.unionid == unionid, WecomContact.customer_id.is_(None))
        .values(customer_id=customer_id, updated_at=utcnow())
        .returning(WecomContact.id, WecomContact.name)
        .execution_options(synchronize_session=False)
    ).all()
    ids = [row.id for row in linked]
    name = next((row.name for row in linked if (row.name or "").strip()), None)
    if name is not None:
        name_customer_by_id(customer_id, name)
    db.session.commit()
    return ids


def guide_for_userid(userid: str) -> Guide | None:
    """The guide with this WeCom userid, or None."""
    return db.session.scalars(
        select(Guide).where(Guide.wecom_userid == userid).order_by(Guide.id)
    ).first()


def set_follow_guide(follow: ContactFollow, guide: Guide | None) -> None:
    """Copy the guide's ids (and tenant scope) onto the follow. Not committed."""
    follow.guide_id = guide.id if guide else None
    follow.store_id = guide.store_id if guide else None
    follow.franchisee_id = guide.franchisee_id if guide else None


def link_guide_follows(guide: Guide) -> int:
    """Follows kept for ``guide``'s userid before Siyu knew the guide get its ids (the
    sync and the guide's creation call this). Not committed; returns how many."""
    rows = db.session.scalars(
        select(ContactFollow).where(
            ContactFollow.userid == guide.wecom_userid, ContactFollow.guide_id.is_(None)
        )
    ).all()
    for follow in rows:
        set_follow_guide(follow, guide)
    return len(rows)


# --- upserts from WeCom's answers ---------------------------------------------------------


_LOOK_UP = object()


def upsert_follow(
    contact: WecomContact, info: dict, *, existing: object = _LOOK_UP, guide: object = _LOOK_UP
) -> tuple[ContactFollow, bool]:
    """Create or refresh the follow of ``info["userid"]`` (WeCom's ``follow_info`` /
    ``follow_user`` item) for ``contact``; returns ``(follow, created)``. Not committed.

    WeCom listing the follow means the guide still has the customer (``deleted_by_guide``
    is cleared); the customer's deletion stands until WeCom shows a newer add time (they
    added the guide again). ``existing`` / ``guide`` pass the follow and the guide of the
    userid already looked up (None: there is none).
    """
    userid = cut(info.get("userid"), 64)
    follow = (
        follow_of(userid, contact.external_userid)
        if existing is _LOOK_UP
        else cast(ContactFollow | None, existing)
    )
    created = follow is None
    if follow is None:
        follow = ContactFollow(
            contact_id=contact.id, external_userid=contact.external_userid, userid=userid
        )
        db.session.add(follow)
    if follow.guide_id is None:
        found = guide_for_userid(userid) if guide is _LOOK_UP else cast(Guide | None, guide)
        set_follow_guide(follow, found)
    added = from_unix_seconds(info.get("createtime"))
    follow.remark = cut(info.get("remark"), 64)
    follow.description = cut(info.get("description"), 255)
    follow.add_way = int(info.get("add_way") or 0)
    follow.state = cut(info.get("state"), 30) or follow.state
    follow.oper_userid = cut(info.get("oper_userid"), 64) or follow.oper_userid
    gone_at = as_utc(follow.deleted_by_customer_at)
    if follow.deleted_by_customer and added and gone_at and added > gone_at:
        follow.deleted_by_customer, follow.deleted_by_customer_at = False, None
    follow.add_time = added or follow.add_time
    follow.deleted_by_guide, follow.deleted_by_guide_at = False, None
    follow.synced_at = utcnow()
    return follow, created


def mark_deleted(follow: ContactFollow, *, by_customer: bool, at: datetime | None = None) -> bool:
    """Flag the follow deleted by the customer (``del_follow_user``) or by the guide
    (``del_external_contact``); False when it already was. Not committed."""
    at = at or utcnow()
    if by_customer:
        if follow.deleted_by_customer:
            return False
        follow.deleted_by_customer, follow.deleted_by_customer_at = True, at
    else:
        if follow.deleted_by_guide:
            return False
        follow.deleted_by_guide, follow.deleted_by_guide_at = True, at
    return True
