"""Hook listeners and jobs of the contacts area.

``on_guide_left`` listens to franchise's ``GUIDE_LEFT``: the guide's 联系我 codes are
retired (deleted in WeCom through the outbox), so no new customer adds a departed guide.
``on_store_guides_changed`` listens to ``STORE_GUIDES_CHANGED``: the store's shared code
gets the store's current guides in WeCom (``update_contact_way`` through the outbox).

``on_customer_logged_in`` listens to franchise's ``CUSTOMER_LOGGED_IN``: the contacts with
the customer's unionid are linked to them (one person is one customer), and a contact
that came through a Siyu 联系我 code before the person ever opened the mini-program binds
them now, as the way's share code would have (unless this login carried its own share
code, which decided already).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from app.extensions import db
from community.models.contacts import ContactFollow
from community.services.contact_ways import (
    bind_through_way,
    refresh_store_ways,
    retire_guide_ways,
)
from community.services.contacts import WAITING, link_by_unionid, waiting_for_customer


def on_customer_logged_in(
    customer_id: int, unionid: str | None, share_code=None, read: Mapping | None = None
) -> None:
    """Link the customer's contacts; bind through the newest Siyu way among those linked
    now (commits). Almost every login has none waiting, and nothing is written then: a
    returning customer whose unionid was already stored was read with ``WAITING``
    (``read``: a contact committed after that read finds the customer with its own link
    after its commit), any other login asks once, in autocommit, after its commit
    (``waiting_for_customer``)."""
    if not unionid:
        return
    if read is not None and WAITING in read:
        if not read[WAITING]:
            return
    elif not waiting_for_customer(unionid):
        return
    linked = link_by_unionid(unionid, customer_id)
    if not linked or share_code:
        return
    follow = db.session.scalars(
        select(ContactFollow)
        .where(
            ContactFollow.contact_id.in_(linked),
            ContactFollow.state.like("siyu:%"),
            ContactFollow.deleted_by_customer.is_(False),
        )
        .order_by(ContactFollow.add_time.desc(), ContactFollow.id.desc())
    ).first()
    if follow is not None:
        bind_through_way(follow)


def on_guide_left(guide_id: int) -> None:
    """Retire the departed guide's 联系我 codes (commits)."""
    retire_guide_ways(guide_id)


def on_store_guides_changed(store_id: int) -> None:
    """The store's 联系我 codes follow its active guides in WeCom (commits)."""
    refresh_store_ways(store_id)


def nightly_contact_sync() -> dict:
    """The full contact sync of every active guide (each resumes its last failed run), so
    a callback WeCom never delivered is repaired by the next night at the latest; then the
    store codes not looked at yet are queued for the single-to-multi-person conversion."""
    from community.services.contact_sync import sync_guides
    from community.services.contact_way_conversion import queue_store_way_conversions
    from franchise.models import Guide

    guides = list(db.session.scalars(select(Guide).where(Guide.status == "active")))
    runs = sync_guides(guides)
    result = {"guides": len(runs), "failed": sum(1 for run in runs if run.status == "failed")}
    result["store_ways"] = queue_store_way_conversions()
    return result
