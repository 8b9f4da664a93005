"""Full sync of a guide's WeCom contacts (``externalcontact/batch/get_by_user``).

A sync of one guide is a ``ContactSyncRun`` holding the cursor. Each page (at most 100
contacts, WeCom's ``limit``) is fetched with no transaction open, then its contacts and
follows are upserted and the cursor advanced in one commit. A run that fails keeps status
``failed`` and the cursor of the last committed page; the guide's next sync resumes it
(as the group sync does). When a run finishes, the guide's follows WeCom no longer lists
(not seen since the run started) are marked deleted by the guide, and follows kept for
the guide's userid before Siyu knew the guide are linked to it.

``sync_guides`` runs many guides in a row within WeCom's call limits: at most
``calls_per_minute`` calls (default: ``WECOM_RATE_PER_MINUTE``, WeCom's 10,000 per API
per minute), and a 45009 waits the advised time and resumes the same run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from flask import current_app
from sqlalchemy import and_, or_, select, tuple_

from app.clock import as_utc, utcnow
from app.extensions import db
from app.wechat import wecom_contacts
from app.wechat.errors import WeChatRateLimited
from community.models.contacts import ContactFollow, ContactSyncRun, WecomContact
from community.services.contacts import (
    customer_by_unionid,
    cut,
    link_contact_to_customer,
    link_guide_follows,
    mark_deleted,
    upsert_follow,
)
from franchise.models import Customer, Guide

log = logging.getLogger("siyu.community")

RUNNING, DONE, FAILED = "running", "done", "failed"


def resumable_run(userid: str) -> ContactSyncRun | None:
    """The guide's last run if it failed or was interrupted, else None."""
    last = db.session.scalars(
        select(ContactSyncRun)
        .where(ContactSyncRun.userid == userid)
        .order_by(ContactSyncRun.id.desc())
    ).first()
    return last if last is not None and last.status in (FAILED, RUNNING) else None


def apply_page(items: list[dict], guide: Guide | None = None) -> tuple[int, int]:
    """Upsert one ``batch/get_by_user`` page (``external_contact`` + ``follow_info``
    each) with one read of the contacts, follows and customers it names; returns
    ``(contacts seen, contacts created)``. Not committed. ``guide``: the one guide the
    page is of (a per-guide sync), so its follows need no guide look-up."""
    pairs = [
        (i.get("external_contact") or {}, i.get("follow_info") or {})
        for i in items
        if (i.get("external_contact") or {}).get("external_userid")
    ]
    ids = {cut(e["external_userid"], 64) for e, _ in pairs}
    contacts = (
        {
            c.external_userid: c
            for c in db.session.scalars(
                select(WecomContact).where(WecomContact.external_userid.in_(ids))
            )
        }
        if ids
        else {}
    )
    keys = {(cut(f.get("userid"), 64), cut(e["external_userid"], 64)) for e, f in pairs}
    follows = (
        {
            (f.userid, f.external_userid): f
            for f in db.session.scalars(
                select(ContactFollow).where(
                    tuple_(ContactFollow.userid, ContactFollow.external_userid).in_(keys)
                )
            )
        }
        if keys
        else {}
    )
    unionids = {cut(e.get("unionid"), 64) for e, _ in pairs if e.get("unionid")}
    customers = (
        {
            c.unionid: c
            for c in db.session.scalars(select(Customer).where(Customer.unionid.in_(unionids)))
        }
        if unionids
        else {}
    )
    userids = {cut(f.get("userid"), 64) for _, f in pairs}
    if guide is not None and userids == {guide.wecom_userid}:
        guides = {guide.wecom_userid: guide}
    else:
        guides = (
            {
                g.wecom_userid: g
                for g in db.session.scalars(select(Guide).where(Guide.wecom_userid.in_(userids)))
            }
            if userids
            else {}
        )
    created = 0
    for external, _info in pairs:
        external_userid = cut(external["external_userid"], 64)
        contact = contacts.get(external_userid)
        if contact is None:
            contact = WecomContact(external_userid=external_userid)
            db.session.add(contact)
            contacts[external_userid] = contact
            created += 1
        fill_contact(contact, external, customers.get(cut(external.get("unionid"), 64)))
    db.session.flush()
    for external, info in pairs:
        contact = contacts[cut(external["external_userid"], 64)]
        key = (cut(info.get("userid"), 64), contact.external_userid)
        follows[key] = upsert_follow(
            contact, info, existing=follows.get(key), guide=guides.get(key[0])
        )[0]
    db.session.flush()
    return len(pairs), created


def fill_contact(contact: WecomContact, external: dict, customer: Customer | None) -> None:
    """Copy WeCom's ``external_contact`` onto ``contact`` and link it to ``customer`` (the
    one with its unionid, looked up by the caller) when it has none. Not committed."""
    contact.name = cut(external.get("name"), 64) or contact.name or ""
    contact.avatar = cut(external.get("avatar"), 255) or contact.avatar or ""
    contact.type = int(external.get("type") or contact.type or 1)
    contact.gender = int(external.get("gender") or 0)
    contact.corp_name = cut(external.get("corp_name"), 64)
    contact.unionid = cut(external.get("unionid"), 64) or contact.unionid
    if contact.customer_id is None and customer is not None:
        link_contact_to_customer(contact, customer)


def upsert_contact(external: dict) -> tuple[WecomContact, bool]:
    """Create or refresh one contact from WeCom's ``external_contact`` (callbacks' path);
    returns ``(contact, created)``. Not committed."""
    external_userid = cut(external.get("external_userid"), 64)
    contact = db.session.scalars(
        select(WecomContact).where(WecomContact.external_userid == external_userid)
    ).first()
    created = contact is None
    if contact is None:
        contact = WecomContact(external_userid=external_userid)
        db.session.add(contact)
    fill_contact(contact, external, customer_by_unionid(cut(external.get("unionid"), 64)))
    db.session.flush()
    return contact, created


def sync_guide(
    guide: Guide, *, resume: bool = True, limit: int = wecom_contacts.BATCH_LIMIT, pace=None
) -> ContactSyncRun:
    """Sync every contact of ``guide`` from WeCom; returns the run (``done`` / ``failed``).

    Each page is fetched with no transaction open and written in one commit with the run's
    cursor (the first page also writes the run and links follows kept for the guide's
    userid; the last also marks what WeCom no longer lists), so a guide whose contacts fit
    one page costs one call and one commit. ``pace()`` is called before each WeCom call
    (``sync_guides`` keeps the call rate)."""
    userid, guide_id = guide.wecom_userid, guide.id
    found = resumable_run(userid) if resume else None
    run_id, cursor = (found.id, found.cursor) if found is not None else (None, None)
    db.session.commit()  # no transaction open during the WeChat call
    try:
        while True:
            if pace:
                pace()
            page = wecom_contacts.batch_get_by_user([userid], cursor, limit)
            run = _run_for_page(run_id, userid, guide_id)
            seen, created = apply_page(page.get("external_contact_list") or [], guide)
            run.calls += 1
            run.contacts_seen += seen
            run.contacts_created += created
            run.cursor = cursor = page.get("next_cursor") or None
            if not cursor:
                run.follows_gone = _mark_gone(run)
                run.status, run.finished_at = DONE, utcnow()
            db.session.commit()
            run_id = run.id
            if not cursor:
                return run
    except WeChatRateLimited:
        _fail(run_id, userid, guide_id, "45009: WeCom's call limit; resume later")
        raise
    except Exception as exc:  # noqa: BLE001 - WeChat or database: record and resume later
        log.warning("contact sync of %s failed: %s", userid, exc)
        return _fail(run_id, userid, guide_id, f"{type(exc).__name__}: {exc}")


def _run_for_page(run_id: int | None, userid: str, guide_id: int) -> ContactSyncRun:
    """The run being resumed, or a new one (its first page: follows kept for the userid
    before Siyu knew the guide are linked now). Not committed."""
    if run_id is not None:
        run = cast(ContactSyncRun, db.session.get(ContactSyncRun, run_id))
        run.status, run.error, run.finished_at = RUNNING, None, None
        return run
    run = ContactSyncRun(userid=userid, guide_id=guide_id, status=RUNNING, started_at=utcnow())
    run.calls = run.contacts_seen = run.contacts_created = run.follows_gone = 0
    db.session.add(run)
    guide = db.session.get(Guide, guide_id)
    if guide is not None:
        link_guide_follows(guide)
    return run


def _fail(run_id: int | None, userid: str, guide_id: int, error: str) -> ContactSyncRun:
    """Record the failure on the run (made now when no page was written yet); commits."""
    db.session.rollback()
    run = _run_for_page(run_id, userid, guide_id)
    run.status, run.error = FAILED, error[:2000]
    db.session.commit()
    return run


def _mark_gone(run: ContactSyncRun) -> int:
    """Follows of the run's userid WeCom did not list since the run started: the guide
    deleted the customer. Not committed; returns how many."""
    started = as_utc(run.started_at)
    gone = db.session.scalars(
        select(ContactFollow).where(
            ContactFollow.userid == run.userid,
            ContactFollow.deleted_by_guide.is_(False),
            or_(ContactFollow.synced_at.is_(None), and_(ContactFollow.synced_at < started)),
        )
    ).all()
    return sum(1 for follow in gone if mark_deleted(follow, by_customer=False))


@dataclass
class Pacer:
    """Keeps calls under ``per_minute`` in any minute (sleeps when the budget is used)."""

    per_minute: int
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    calls: list[float] = field(default_factory=list)

    def __call__(self) -> None:
        now = self.clock()
        self.calls = [t for t in self.calls if now - t < 60.0]
        if len(self.calls) >= self.per_minute:
            self.sleep(60.0 - (now - self.calls[0]))
            now = self.clock()
            self.calls = [t for t in self.calls if now - t < 60.0]
        self.calls.append(now)


def sync_guides(
    guides: list[Guide] | None = None,
    *,
    calls_per_minute: int | None = None,
    progress: Callable[[int, ContactSyncRun], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ContactSyncRun]:
    """Sync each guide (default: every guide) within WeCom's call rate; a 45009 waits the
    advised time and resumes the same guide's run."""
    if guides is None:
        guides = list(db.session.scalars(select(Guide).order_by(Guide.id)))
    limit = calls_per_minute or int(current_app.config["WECOM_RATE_PER_MINUTE"])
    pace = Pacer(limit, sleep=sleep)
    runs = []
    for n, guide in enumerate(guides, 1):
        run = None
        for _ in range(10):
            try:
                run = sync_guide(guide, pace=pace)
                break
            except WeChatRateLimited as exc:
                sleep(exc.retry_after)
        if run is None:  # still limited after ten waits: the run stays failed, resumable
            run = cast(ContactSyncRun, resumable_run(guide.wecom_userid))
        runs.append(run)
        if progress:
            progress(n, run)
    return runs
