"""People, not ids, on the community pages: WeCom userids become the guide's name and
customer ids the customer's readable name (``app.web.labels.customer_name``), each
looked up once per page for the rows it shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db, hooks
from app.web.labels import customer_name
from franchise.models import Customer, Guide, WecomMember

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
        from flask_babel import gettext

        return self.staff.get(userid) or fallback or gettext("WeCom colleague")

    def customer(self, customer_id: int | None) -> str:
        return self.customers.get(customer_id or 0, "—")

    def member_name(self, member) -> str:
        """A group member as people know them: the guide's or customer's name, else the
        group nickname, else their WeChat name; a bare WeCom id never shows."""
        if member.member_type == 1 and member.userid in self.staff:
            return self.staff[member.userid]
        if member.customer_id in self.customers:
            return self.customers[member.customer_id]
        shown = member.group_nickname or (member.name if member.name != member.userid else "")
        if shown:
            return str(shown)
        from flask_babel import gettext

        return gettext("WeCom colleague") if member.member_type == 1 else gettext("WeChat user")


def people_for(userids: Iterable[str | None], customer_ids: Iterable[int | None]) -> People:
    """The names of the given userids (guides) and customers, in two queries."""
    wanted_users = {u for u in userids if u}
    wanted_customers = {c for c in customer_ids if c}
    people = People()
    if wanted_users:
        # a colleague who is no guide reads by their name in WeCom's directory
        people.staff = dict(
            db.session.execute(
                select(WecomMember.userid, WecomMember.name).where(
                    WecomMember.userid.in_(wanted_users)
                )
            ).all()
        )
        people.staff.update(
            db.session.execute(
                select(Guide.wecom_userid, Guide.name).where(Guide.wecom_userid.in_(wanted_users))
            ).all()
        )
    if wanted_customers:
        people.customers = {
            c.id: customer_name(c)
            for c in db.session.scalars(select(Customer).where(Customer.id.in_(wanted_customers)))
        }
    return people


def member_people(members) -> People:
    """Names for a list of group members: the staff, the inviters and the customers."""
    userids = [m.userid for m in members if m.member_type == 1]
    userids += [m.invitor_userid for m in members]
    return people_for(userids, [m.customer_id for m in members])
