"""The one-off conversion of store 联系我 codes made as single-person ways.

Before store codes were always made multi-person (``store_way`` passes ``multi=True``),
a store with one guide got a single-person way (``type`` 1). WeCom's
``update_contact_way`` takes exactly one ``user`` for such a way, so when the store gets a
second guide the roster update is refused (40058) and the code keeps reaching one guide.
A way's ``type`` cannot be changed, so each such store way is replaced:

1. ``queue_store_way_conversions`` (``flask community convert-store-ways`` and a step of
   the nightly contact job) queues ``community.contact_way_convert`` for every live store
   way, keyed by its ``config_id``: a way is looked at once, a repeat run queues nothing;
2. the handler reads the way (``get_contact_way``); a multi-person way is left alone;
   otherwise it adds a multi-person way with the store's current guides and the same
   ``state`` (so a contact added through the new code is attributed to the same store
   and share code), moves the row to the new ``config_id`` / QR code, and queues the old
   way's deletion (``community.contact_way_delete``) in the same commit — add, then
   delete, each through the outbox.

The store's code page then shows the new QR code; a printed old one stops working once
the deletion has run. Should the commit after the add fail, the retry adds another way
and the first one stays in WeCom unused (no row names it): it reaches the store's guides.
"""

from __future__ import annotations

from app.extensions import db
from app.outbox import GiveUp, OutboxMessage, enqueue
from app.wechat import wecom_contacts
from app.wechat.errors import WeChatAPIError, WeChatError
from community.models.contacts import WAY_ACTIVE, ContactWay
from community.services.contact_ways import (
    DELETE_KIND,
    _retry_later,
    live_store_ways,
    store_userids,
)
from franchise.models import Store

CONVERT_KIND = "community.contact_way_convert"
SINGLE, MULTI = 1, 2  # add_contact_way ``type``


def queue_store_way_conversions() -> int:
    """Queue the look at every live store way not looked at yet (commits); returns how
    many live store ways there are (the outbox ignores the ones queued before)."""
    ways = live_store_ways()
    for way in ways:
        enqueue(
            CONVERT_KIND,
            {"way_id": way.id, "config_id": way.config_id},
            f"contact-way-convert:{way.config_id}",
        )
    db.session.commit()
    return len(ways)


def _way_type(config_id: str) -> int:
    """The way's ``type`` in WeCom; a way WeCom no longer has (41044) counts as single:
    the store needs a working code either way."""
    try:
        return int(wecom_contacts.get_contact_way(config_id).get("type") or SINGLE)
    except WeChatAPIError as exc:
        if exc.errcode == wecom_contacts.INVALID_CONFIG_ID:
            return SINGLE
        raise


def convert_way_in_wecom(message: OutboxMessage) -> dict:
    """Outbox handler: a single-person store way is replaced by a multi-person one with
    the same state (add, then the old one's deletion queued); anything else is left."""
    payload = message.payload or {}
    old = str(payload.get("config_id") or "")
    way = db.session.get(ContactWay, int(payload.get("way_id") or 0))
    if way is None or way.status != WAY_ACTIVE or way.config_id != old or way.store_id is None:
        return {"skipped": True}
    userids = store_userids(way.store_id)
    store = db.session.get(Store, way.store_id)
    remark = (store.name if store is not None else way.state)[: wecom_contacts.STATE_MAX]
    state, way_id = way.state, way.id
    db.session.commit()  # no transaction open while WeCom answers
    try:
        if _way_type(old) == MULTI:
            return {"config_id": old, "already_multi": True}
        if not userids:  # the roster update deletes a store code with no guide
            return {"config_id": old, "no_guide": True}
        answer = wecom_contacts.add_contact_way(userids, state, remark, multi=True)
    except WeChatAPIError as exc:
        way = db.session.get(ContactWay, way_id)
        if way is not None:
            way.error = f"{exc.errcode} {exc.errmsg}"[:255]
            db.session.commit()
        raise GiveUp(f"WeCom refused the conversion: {exc.errcode} {exc.errmsg}") from exc
    except WeChatError as exc:
        _retry_later(exc)
    way = db.session.get(ContactWay, way_id)
    assert way is not None
    way.config_id = answer.get("config_id")
    way.qr_code = answer.get("qr_code") or ""
    way.userids = ",".join(userids)[:255]
    way.error = None
    enqueue(DELETE_KIND, {"config_id": old}, f"contact-way-del:{old}")
    db.session.commit()
    return {"old_config_id": old, "config_id": way.config_id, "userids": userids}
