"""People, not ids: who a group member or a WeCom contact is in Siyu.

A member is linked to a customer by the member row's ``customer_id`` (set by the sync
from the member's unionid), else by the unionid itself (a customer who logged in to the
mini-program after the last sync). ``member_page`` pages a group's members (500-member
groups) with the customer's name, value tier and tags, never an id;
``contacts_of`` says which guides have a customer as a WeCom contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from app.extensions import db
from app.web.listing import Page, paginate
from community.models.groups import GroupMember, WecomGroup
from franchise.models import Customer

MEMBER_PAGE = 50


@dataclass
class Person:
    """One group member as a page shows them."""

    name: str
    is_staff: bool
    customer_id: int | None
    tier: str | None
    tags: list[dict] = field(default_factory=list)
    member: GroupMember | None = None


def _linked():
    """The customer of a member row: its customer_id, else the same unionid."""
    return or_(
        Customer.id == GroupMember.customer_id,
        and_(
            GroupMember.customer_id.is_(None),
            GroupMember.unionid.is_not(None),
            Customer.unionid == GroupMember.unionid,
        ),
    )


def display_name(member: GroupMember, customer_name: str | None) -> str:
    """The name a person recognises: the customer's, the group nickname, the WeCom name."""
    name = customer_name or member.group_nickname or member.name
    if name and name != member.userid:
        return name
    return _("Staff member") if member.member_type == 1 else _("Unnamed customer")


def member_page(group: WecomGroup, *, current_only: bool = False) -> tuple[Page, list[Person]]:
    """One page of the group's members (``?page=``) as people, current members first."""
    from community.services.tag_links import tags_by_customer, tags_by_external

    stmt = (
        select(GroupMember, Customer.id, Customer.nickname, Customer.tier_label)
        .outerjoin(Customer, _linked())
        .where(GroupMember.group_id == group.id)
        .order_by(GroupMember.left_at.is_not(None), GroupMember.member_type, GroupMember.id)
    )
    if current_only:
        stmt = stmt.where(GroupMember.left_at.is_(None))
    page = paginate(stmt, per_page=MEMBER_PAGE)
    by_customer = tags_by_customer([r[1] for r in page.items if r[1]])
    by_external = tags_by_external([r[0].userid for r in page.items if not r[1]])
    people = [
        Person(
            name=display_name(member, nickname),
            is_staff=member.member_type == 1,
            customer_id=customer_id,
            tier=tier,
            tags=by_customer.get(customer_id, [])
            if customer_id
            else by_external.get(member.userid, []),
            member=member,
        )
        for member, customer_id, nickname, tier in page.items
    ]
    return page, people


def contacts_of(customer_id: int | None, external_userid: str | None) -> list[tuple[str, str]]:
    """``(guide userid, external userid)`` of each guide who has the person as a WeCom
    customer, the customer's own guide first: the contacts sync's follows, else (a group
    member the sync has not brought yet) the owners of the groups they are in."""
    from community.models.contacts import ContactFollow, WecomContact

    follows = select(
        ContactFollow.userid, ContactFollow.external_userid, ContactFollow.guide_id
    ).where(ContactFollow.deleted_by_customer.is_(False), ContactFollow.deleted_by_guide.is_(False))
    members = (
        select(WecomGroup.owner_userid, GroupMember.userid, WecomGroup.guide_id)
        .join(GroupMember, GroupMember.group_id == WecomGroup.id)
        .where(GroupMember.member_type == 2, GroupMember.left_at.is_(None))
    )
    if customer_id:
        unionid = db.session.scalar(select(Customer.unionid).where(Customer.id == customer_id))
        follows = follows.join(WecomContact, WecomContact.id == ContactFollow.contact_id).where(
            WecomContact.customer_id == customer_id
        )
        who = GroupMember.customer_id == customer_id
        members = members.where(or_(who, GroupMember.unionid == unionid) if unionid else who)
    elif external_userid:
        follows = follows.where(ContactFollow.external_userid == external_userid)
        members = members.where(GroupMember.userid == external_userid)
    else:
        return []
    rows = list(db.session.execute(follows.order_by(ContactFollow.id))) or list(
        db.session.execute(members.order_by(GroupMember.id))
    )
    own = None
    if customer_id:
        own = db.session.scalar(select(Customer.guide_id).where(Customer.id == customer_id))
    rows.sort(key=lambda r: r[2] != own)
    return list(dict.fromkeys((r[0], r[1]) for r in rows))
