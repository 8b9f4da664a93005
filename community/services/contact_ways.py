"""联系我 codes (``add_contact_way``) of a guide, a store or a live campaign, and what a
contact added through one does: bind the customer like a share code, count for the
campaign.

A way's ``state`` (≤ 30 characters, WeCom's limit) says who and why: ``siyu:g<guide>``,
``siyu:s<store>``, ``siyu:c<campaign>:g<guide>``; WeCom hands it back on the
``add_external_contact`` callback and in the follow. Each way carries a share code (the
guide's, the store's, or the guide's campaign code, which livestream makes through the
``CAMPAIGN_SHARE_CODE`` hook), so binding goes through the same rule and history as a
share code (``franchise.services.customers.share_code_target`` → ``apply_target``,
rule ``share_code``). A campaign way's add calls the ``CONTACT_CAMPAIGN_ADDED`` hook
(livestream records the visit for attribution).

A way is written first (state and share code, committed), then made in WeCom with no
transaction open; WeCom's refusal is kept on the row and answered with WeCom's reason.
"""

from __future__ import annotations

import logging
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.clock import utcnow
from app.errors import DomainError, NotFound, WeChatUnavailable
from app.extensions import db, hooks
from app.outbox import GiveUp, OutboxMessage, enqueue
from app.wechat import wecom_contacts
from app.wechat.errors import WeChatAPIError, WeChatError, as_retry_later
from community.models.contacts import (
    STATE_MAX,
    WAY_ACTIVE,
    WAY_CAMPAIGN,
    WAY_DELETED,
    WAY_GUIDE,
    WAY_STORE,
    ContactFollow,
    ContactWay,
)
from franchise.models import ACTIVE, Customer, Guide, Store
from franchise.services.assignment import apply_target
from franchise.services.customers import guide_share_code, share_code_target, store_share_code

log = logging.getLogger("siyu.community")

# livestream answers ``listener(campaign_id, guide_id) -> share code string`` (raises
# NotFound when the guide's store does not take part)
CAMPAIGN_SHARE_CODE = "community.campaign_share_code"
# ``listener(campaign_id, customer_id, share_code)`` after a contact came through a
# campaign's way (livestream records the visit)
CONTACT_CAMPAIGN_ADDED = "community.contact_campaign_added"
DELETE_KIND = "community.contact_way_delete"
UPDATE_KIND = "community.contact_way_update"


class WayRefused(DomainError):
    """WeCom refused the contact way; the message carries WeCom's code and reason."""

    status = 502
    code = "wecom_refused"


def way_state(kind: str, *, guide_id=None, store_id=None, campaign_id=None) -> str:
    """The ``state`` of a way: who (guide / store) and why (a campaign), ≤ 30 characters."""
    if kind == WAY_GUIDE:
        state = f"siyu:g{guide_id}"
    elif kind == WAY_STORE:
        state = f"siyu:s{store_id}"
    else:
        state = f"siyu:c{campaign_id}:g{guide_id}"
    if len(state) > STATE_MAX:
        raise ValueError(f"state {state!r} is longer than WeCom's {STATE_MAX} characters")
    return state


def way_by_state(state: str | None) -> ContactWay | None:
    """The contact way WeCom's ``state`` names, or None (a way made elsewhere)."""
    if not state:
        return None
    return db.session.scalars(select(ContactWay).where(ContactWay.state == state)).first()


def _get_or_create(kind: str, state: str, fields: dict) -> ContactWay:
    way = way_by_state(state)
    if way is None:
        way = ContactWay(kind=kind, state=state, status=WAY_ACTIVE, **fields)
        db.session.add(way)
        try:
            db.session.commit()
        except IntegrityError:  # a concurrent first request made it
            db.session.rollback()
            way = way_by_state(state)
            assert way is not None
    return way


def _made_in_wecom(
    way: ContactWay, userids: list[str], remark: str, *, multi: bool = False
) -> ContactWay:
    """Make the way in WeCom when it has no ``config_id`` yet (commits before and after);
    ``multi``: a multi-person way even for one member (a store's, whose guides change)."""
    if way.config_id:
        return way
    state, way_id = way.state, way.id
    db.session.commit()  # no transaction open while WeCom answers
    try:
        answer = wecom_contacts.add_contact_way(
            userids, state, remark[: wecom_contacts.STATE_MAX], multi=multi or None
        )
    except WeChatAPIError as exc:
        way = db.session.get(ContactWay, way_id) or way
        way.error = f"{exc.errcode} {exc.errmsg}"[:255]
        db.session.commit()
        raise WayRefused(f"WeCom refused the contact way: {exc.errcode} {exc.errmsg}") from exc
    except WeChatError as exc:
        raise WeChatUnavailable("WeCom is not reachable; try again.") from exc
    way = db.session.get(ContactWay, way_id) or way
    way.config_id = answer.get("config_id")
    way.qr_code = answer.get("qr_code") or ""
    way.userids = ",".join(userids)[:255]
    way.error = None
    db.session.commit()
    return way


def guide_way(guide: Guide) -> ContactWay:
    """The guide's 联系我 code (created in WeCom on first use)."""
    if guide.status != ACTIVE:
        raise DomainError("The guide has left.", status=422, errors={"guide_id": ["left"]})
    state = way_state(WAY_GUIDE, guide_id=guide.id)
    code = guide_share_code(guide).code
    way = _get_or_create(
        WAY_GUIDE,
        state,
        {
            "guide_id": guide.id,
            "store_id": guide.store_id,
            "franchisee_id": guide.franchisee_id,
            "share_code": code,
        },
    )
    return _made_in_wecom(way, [guide.wecom_userid], guide.name)


def store_userids(store_id: int) -> list[str]:
    """The WeCom userids of the store's active guides, in guide order (≤ 100, as a way)."""
    return list(
        db.session.scalars(
            select(Guide.wecom_userid)
            .where(Guide.store_id == store_id, Guide.status == ACTIVE)
            .order_by(Guide.id)
            .limit(100)
        )
    )


def store_way(store: Store) -> ContactWay:
    """The store's 联系我 code: every active guide of the store takes the contacts."""
    userids = store_userids(store.id)
    if not userids:
        raise DomainError(
            "The store has no active guide.", status=422, errors={"store_id": ["no guide"]}
        )
    code = store_share_code(store).code
    way = _get_or_create(
        WAY_STORE,
        way_state(WAY_STORE, store_id=store.id),
        {"store_id": store.id, "franchisee_id": store.franchisee_id, "share_code": code},
    )
    if way.status == WAY_DELETED:  # retired when the store had no guide left: made anew
        way.status, way.config_id, way.qr_code = WAY_ACTIVE, None, ""
    return _made_in_wecom(way, userids, store.name, multi=True)


def campaign_way(campaign_id: int, guide: Guide) -> ContactWay:
    """The guide's 联系我 code for a live campaign (its share code carries the campaign)."""
    listeners = hooks(CAMPAIGN_SHARE_CODE)
    if not listeners:
        raise NotFound("Campaign not found")
    code = listeners[0](campaign_id, guide.id)
    way = _get_or_create(
        WAY_CAMPAIGN,
        way_state(WAY_CAMPAIGN, guide_id=guide.id, campaign_id=campaign_id),
        {
            "guide_id": guide.id,
            "store_id": guide.store_id,
            "franchisee_id": guide.franchisee_id,
            "campaign_id": campaign_id,
            "share_code": code,
        },
    )
    return _made_in_wecom(way, [guide.wecom_userid], f"campaign {campaign_id}")


def bind_through_way(follow: ContactFollow) -> bool:
    """A contact added through a Siyu way binds its customer as the way's share code would
    (rule 1, one history row) and, for a campaign way, counts as the campaign's visit.
    Commits; True when the customer's owner changed. Nothing when the contact has no
    customer yet (the login links and binds later)."""
    way = way_by_state(follow.state)
    customer_id = follow.contact.customer_id if follow.contact else None
    if way is None or customer_id is None:
        return False
    customer = db.session.get(Customer, customer_id)
    target = share_code_target(way.share_code)
    changed = False
    if customer is not None and target is not None:
        changed = apply_target(customer, target, reason="WeCom contact way")
    db.session.commit()
    if way.campaign_id is not None:
        for listener in list(hooks(CONTACT_CAMPAIGN_ADDED)):
            try:
                listener(way.campaign_id, customer_id, way.share_code)
            except Exception:  # noqa: BLE001 - the binding is committed; report and go on
                log.exception("campaign contact listener failed for way %s", way.id)
    return changed


# --- a guide who left ---------------------------------------------------------------------


def retire_guide_ways(guide_id: int) -> int:
    """The departed guide's own codes (their way and campaign ways) stop adding contacts:
    marked deleted here and deleted in WeCom through the outbox after the commit.
    Returns how many (commits). A re-sent hook finds nothing left to retire."""
    ways = db.session.scalars(
        select(ContactWay).where(
            ContactWay.guide_id == guide_id,
            ContactWay.kind.in_((WAY_GUIDE, WAY_CAMPAIGN)),
            ContactWay.status == WAY_ACTIVE,
        )
    ).all()
    for way in ways:
        way.status = WAY_DELETED
        if way.config_id:
            enqueue(DELETE_KIND, {"config_id": way.config_id}, f"contact-way-del:{way.config_id}")
    db.session.commit()
    return len(ways)


def _retry_later(exc: WeChatError) -> NoReturn:
    """An outbox handler's WeCom failure: retried later when it may pass, else raised."""
    retry = as_retry_later(exc)
    if retry is None:
        raise exc
    raise retry from exc


def delete_way_in_wecom(message: OutboxMessage) -> dict:
    """Outbox handler: ``del_contact_way``; a way WeCom no longer has (41044) is done."""
    config_id = str((message.payload or {}).get("config_id") or "")
    try:
        wecom_contacts.del_contact_way(config_id)
    except WeChatAPIError as exc:
        if exc.errcode == wecom_contacts.INVALID_CONFIG_ID:
            return {"config_id": config_id, "already_gone": True}
        raise GiveUp(f"WeCom refused del_contact_way: {exc.errcode} {exc.errmsg}") from exc
    except WeChatError as exc:
        _retry_later(exc)
    return {"config_id": config_id}


# --- a store whose guides changed -----------------------------------------------------------


def live_store_ways(store_id: int | None = None) -> list[ContactWay]:
    """The store 联系我 ways that are live in WeCom (active, with a ``config_id``): every
    store's, or ``store_id``'s."""
    stmt = select(ContactWay).where(
        ContactWay.kind == WAY_STORE,
        ContactWay.status == WAY_ACTIVE,
        ContactWay.config_id.is_not(None),
    )
    if store_id is not None:
        stmt = stmt.where(ContactWay.store_id == store_id)
    return list(db.session.scalars(stmt))


def refresh_store_ways(store_id: int) -> int:
    """``STORE_GUIDES_CHANGED``: the store's live 联系我 codes get the store's current
    guides in WeCom (``update_contact_way`` through the outbox after this commit), so a
    customer scanning the code never reaches a guide who left or moved. Commits; returns
    how many ways were queued. Each change queues its own message: the handler sets the
    roster as it is when it runs, so a repeat changes nothing."""
    ways = live_store_ways(store_id)
    stamp = utcnow().isoformat()
    for way in ways:
        enqueue(UPDATE_KIND, {"way_id": way.id}, f"contact-way-update:{way.id}:{stamp}")
    db.session.commit()
    return len(ways)


def update_way_in_wecom(message: OutboxMessage) -> dict:
    """Outbox handler: the store way's members in WeCom become the store's active guides;
    a store left without a guide has its code deleted (no customer reaches no one)."""
    way = db.session.get(ContactWay, int((message.payload or {}).get("way_id") or 0))
    if way is None or way.status != WAY_ACTIVE or not way.config_id or way.store_id is None:
        return {"skipped": True}
    userids = store_userids(way.store_id)
    config_id = way.config_id
    if userids == [u for u in way.userids.split(",") if u]:
        return {"config_id": config_id, "unchanged": True}
    db.session.commit()  # no transaction open while WeCom answers
    try:
        if userids:
            wecom_contacts.update_contact_way(config_id, userids)
        else:
            wecom_contacts.del_contact_way(config_id)
    except WeChatAPIError as exc:
        way.error = f"{exc.errcode} {exc.errmsg}"[:255]
        db.session.commit()
        raise GiveUp(f"WeCom refused update_contact_way: {exc.errcode} {exc.errmsg}") from exc
    except WeChatError as exc:
        _retry_later(exc)
    way.userids = ",".join(userids)[:255]
    way.error = None
    if not userids:
        way.status = WAY_DELETED
    db.session.commit()
    return {"config_id": config_id, "userids": userids}
