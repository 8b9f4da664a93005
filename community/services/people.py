"""People, not ids: who a group member or a WeCom contact is in Siyu.

``people_for`` names WeCom userids (the guide's name) and customer ids (the customer's
readable name, ``app.web.labels.customer_name``) once per page for the rows it shows;
``campaign_names`` asks livestream for campaign names through a hook.

A member is linked to a customer by the member row's ``customer_id`` (set by the sync
from the member's unionid), else by the unionid itself (a customer who logged in to the
mini-program after the last sync). ``member_page`` pages a group's members (500-member
groups) with the customer's name, value tier and tags, never an id;
``contacts_of`` says which guides have a customer as a WeCom contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from app.db import values_by_key
from app.extensions import db, hooks
from app.web.labels import customer_name
from app.web.listing import Page, paginate
from community.models.groups import GroupMember, WecomGroup
from franchise.models import Customer, Guide, WecomMember

MEMBER_PAGE = 50

# listener(ids: set[int] | None) -> {campaign id: name}; None asks for the campaigns one may
# still attach an invite code to. livestream registers it (community may not import it).
CAMPAIGN_NAMES = "community.campaign_names"


def campaign_names(ids: Iterable[int | None] | None = None) -> dict[int, str]:
    """Campaign names by id through the ``CAMPAIGN_NAMES`` hook (empty without livestream)."""
    wanted = None if ids is None else {i for i in ids if i}
    if wanted == set():
        return {}
    names: dict[int, str] = {}
    for listener in hooks(CAMPAIGN_NAMES):
        names.update(listener(wanted))
    return names


@dataclass
class People:
    """``staff[userid]`` → guide name, ``customers[id]`` → readable customer name."""

    staff: dict[str, str] = field(default_factory=dict)
    customers: dict[int, str] = field(default_factory=dict)

    def staff_name(self, userid: str | None, fallback: str | None = None) -> str:
        """The guide behind a WeCom userid; an unknown colleague reads "WeCom colleague"."""
        if not userid:
            return fallback or "—"
        return self.staff.get(userid) or fallback or _("WeCom colleague")

    def customer(self, customer_id: int | None) -> str:
        return self.customers.get(customer_id or 0, "—")


def people_for(userids: Iterable[str | None], customer_ids: Iterable[int | None]) -> People:
    """The names of the given userids (guides) and customers, in two queries."""
    wanted_users = {u for u in userids if u}
    wanted_customers = {c for c in customer_ids if c}
    people = People()
    if wanted_users:
        # a colleague who is no guide reads by their name in WeCom's directory
        people.staff = values_by_key(db.session, WecomMember.userid, WecomMember.name, wanted_users)
        people.staff.update(values_by_key(db.session, Guide.wecom_userid, Guide.name, wanted_users))
    if wanted_customers:
        people.customers = {
            c.id: customer_name(c)
            for c in db.session.scalars(select(Customer).where(Customer.id.in_(wanted_customers)))
        }
    return people


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


def display_name(member: GroupMember, customer: str | None) -> str:
    """The name a person recognises: the customer's, the group nickname, the WeCom name."""
    name = customer or member.group_nickname or member.name
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
