"""Hand-over (继承) of a guide's WeCom customers and groups, through WeCom.

When a guide leaves (``GUIDE_LEFT``: 离职继承, ``resigned/transfer_customer`` and
``groupchat/transfer``), a store closes (``STORE_CLOSED``: 在职继承 of each of its guides'
customers and groups to a guide of another open store of the franchisee) or HQ moves
customers between guides (``move_customers``: 在职继承), one ``WecomTransfer`` row per
customer / group is written ``queued`` and committed; outbox messages of at most 100
customers (or groups) — WeCom's limit per call — make the calls. Each customer answers
for itself: 0 → ``waiting`` (the customer has 24 hours to refuse), else ``failed`` with
WeCom's code and reason. ``read_back`` (every 30 minutes, and on HQ's button) reads
``transfer_result``: 1 → ``accepted``, 3 → ``refused``, 4 → ``limit``; the
``transfer_fail`` callback (through contacts' ``CONTACT_TRANSFER_FAILED`` hook) marks a
refusal at once.

Siyu's assignment follows only WeCom's outcome: franchise's immediate hand-over leaves
out the customers held here (``held_customers``, its ``HANDOVER_HELD`` hook), and a
customer moves to the takeover guide (with an assignment history row) only when WeCom
says the takeover happened. A refused customer of a departed guide stays with the store
and no guide. Groups move when WeCom accepts the call (no waiting), then are read again
so the owner and scope follow.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select

from app.clock import utcnow
from app.extensions import db
from app.outbox import GiveUp, RetryLater, enqueue
from app.wechat import wecom_customers
from app.wechat.errors import WeChatAPIError, WeChatError, as_retry_later
from community.models.contacts import ContactFollow, WecomContact
from community.models.groups import GROUP_ACTIVE, WecomGroup
from community.models.wecom_customers import (
    REASON_GUIDE_LEFT,
    REASON_HQ_MOVE,
    REASON_STORE_CLOSED,
    T_ACCEPTED,
    T_FAILED,
    T_LIMIT,
    T_QUEUED,
    T_REFUSED,
    T_WAITING,
    WecomTransfer,
)
from franchise.models import (
    ACTIVE,
    RULE_GUIDE_LEFT,
    RULE_MANUAL,
    RULE_STORE_CLOSED,
    Customer,
    Guide,
    Store,
)
from franchise.services.assignment import Target, apply_target

log = logging.getLogger("siyu.community")

TRANSFER_KIND = "community.transfer"
BATCH = wecom_customers.MAX_TRANSFER_CUSTOMERS
WAIT = timedelta(hours=24)
# WeCom's reasons for the per-customer / per-group codes it answers (全局错误码 and the docs)
REASONS = {
    40097: "该成员尚未离职 (the handover member is still in the corp)",
    40096: "不合法的外部联系人userid (not a customer of the handover member)",
    40128: "客户转接过于频繁 (2 hand-overs per customer in 90 days)",
    40129: "当前客户正在转接中 (a hand-over of this customer is waiting)",
    45009: "转接次数超过限制 (WeCom's group transfer limit)",
    90500: "the owner of this chat is not resigned",
}
NOT_RESIGNED = 90500
MEMBER_NOT_RESIGNED = 40097  # resigned/transfer_customer of a member still in the corp
RESULT = {1: T_ACCEPTED, 2: T_WAITING, 3: T_REFUSED, 4: T_LIMIT}
RULES = {REASON_GUIDE_LEFT: RULE_GUIDE_LEFT, REASON_STORE_CLOSED: RULE_STORE_CLOSED}


def _active_follows():
    return (
        ContactFollow.deleted_by_customer.is_(False),
        ContactFollow.deleted_by_guide.is_(False),
    )


def _load(guide_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(ContactFollow.guide_id == guide_id, *_active_follows())
        )
        or 0
    )


def pick_takeover(guide: Guide) -> Guide | None:
    """Another active guide with a WeCom account: of the same open store, else of another
    open store of the franchisee; the one with the fewest WeCom customers."""
    stmt = (
        select(Guide)
        .join(Store, Store.id == Guide.store_id)
        .where(
            Guide.status == ACTIVE,
            Guide.id != guide.id,
            Guide.wecom_userid.is_not(None),
            Store.is_open.is_(True),
            Store.franchisee_id == guide.franchisee_id,
        )
    )
    candidates = list(db.session.scalars(stmt))
    if not candidates:
        return None
    return min(candidates, key=lambda g: (g.store_id != guide.store_id, _load(g.id), g.id))


def _handed_guides(kind: str, object_id: int) -> list[Guide]:
    if kind == "guide":
        guide = db.session.get(Guide, object_id)
        return [guide] if guide is not None and guide.wecom_userid else []
    return list(
        db.session.scalars(
            select(Guide).where(Guide.store_id == object_id, Guide.wecom_userid.is_not(None))
        )
    )


def held_customers(kind: str, object_id: int):
    """``HANDOVER_HELD`` listener: customers of the guide / store who are WeCom customers
    of a guide someone can take over from (their assignment waits for WeCom)."""
    guides = [g.id for g in _handed_guides(kind, object_id) if pick_takeover(g) is not None]
    if not guides:
        return None
    return (
        select(WecomContact.customer_id)
        .join(ContactFollow, ContactFollow.contact_id == WecomContact.id)
        .where(
            or_(*(ContactFollow.guide_id == g for g in guides)),  # no IN: franchise compiles it
            WecomContact.customer_id.is_not(None),
            *_active_follows(),
        )
    )


def _row(follow_or_group, handover: Guide, takeover: Guide, *, resigned: bool, reason: str):
    row = WecomTransfer(
        resigned=resigned,
        reason=reason,
        handover_guide_id=handover.id,
        takeover_guide_id=takeover.id,
        handover_userid=handover.wecom_userid or "",
        takeover_userid=takeover.wecom_userid or "",
        franchisee_id=handover.franchisee_id,
        store_id=handover.store_id,
        status=T_QUEUED,
    )
    if isinstance(follow_or_group, WecomGroup):
        row.target, row.chat_id = "group", follow_or_group.chat_id
    else:
        contact = db.session.get(WecomContact, follow_or_group.contact_id)
        row.external_userid = follow_or_group.external_userid
        row.customer_id = contact.customer_id if contact else None
    db.session.add(row)
    return row


def _enqueue(rows: list[WecomTransfer]) -> None:
    """One outbox message per (kind, handover, takeover, ≤ 100 rows)."""
    db.session.flush()
    batches: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        batches[(row.target, row.handover_userid, row.takeover_userid, row.resigned)].append(row.id)
    for (_, _, _, resigned), ids in batches.items():
        kind = "resigned" if resigned else "onjob"
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            enqueue(TRANSFER_KIND, {"ids": chunk}, f"transfer:{kind}:{chunk[0]}:{len(chunk)}")


def hand_over_guide(guide: Guide, *, resigned: bool, reason: str) -> list[WecomTransfer]:
    """Queue the hand-over of every WeCom customer and group of ``guide`` (commits)."""
    takeover = pick_takeover(guide)
    if takeover is None or not guide.wecom_userid:
        return []
    follows = db.session.scalars(
        select(ContactFollow).where(ContactFollow.guide_id == guide.id, *_active_follows())
    ).all()
    groups = db.session.scalars(
        select(WecomGroup).where(WecomGroup.guide_id == guide.id, WecomGroup.status == GROUP_ACTIVE)
    ).all()
    open_ = select(WecomTransfer.external_userid).where(
        WecomTransfer.status.in_((T_QUEUED, T_WAITING)), WecomTransfer.external_userid.is_not(None)
    )
    busy = set(db.session.scalars(open_))
    rows = [
        _row(f, guide, takeover, resigned=resigned, reason=reason)
        for f in follows
        if f.external_userid not in busy
    ]
    rows += [_row(g, guide, takeover, resigned=resigned, reason=reason) for g in groups]
    _enqueue(rows)
    db.session.commit()
    return rows


def on_guide_left(guide_id: int) -> None:
    """``GUIDE_LEFT``: 离职继承 of the guide's WeCom customers and groups."""
    guide = db.session.get(Guide, guide_id)
    if guide is not None and guide.status != ACTIVE:
        rows = hand_over_guide(guide, resigned=True, reason=REASON_GUIDE_LEFT)
        log.info("guide %s left: %d WeCom hand-over(s) queued", guide_id, len(rows))


def on_store_closed(store_id: int) -> None:
    """``STORE_CLOSED``: 在职继承 of each guide's WeCom customers and groups."""
    for guide in _handed_guides("store", store_id):
        hand_over_guide(guide, resigned=False, reason=REASON_STORE_CLOSED)


def move_customers(customers: list[Customer], takeover: Guide, actor_user_id: int | None):
    """HQ moves customers to ``takeover`` (commits): a WeCom customer through 在职继承 (the
    assignment waits for WeCom), any other at once; returns the transfer rows."""
    rows = []
    for customer in customers:
        follow = db.session.scalars(
            select(ContactFollow)
            .join(WecomContact, WecomContact.id == ContactFollow.contact_id)
            .where(WecomContact.customer_id == customer.id, *_active_follows())
            .order_by(ContactFollow.guide_id != customer.guide_id, ContactFollow.id)
        ).first()
        handover = db.session.get(Guide, follow.guide_id) if follow and follow.guide_id else None
        if follow is None or handover is None or handover.id == takeover.id:
            target = Target(takeover.franchisee_id, takeover.store_id, takeover.id, RULE_MANUAL)
            apply_target(customer, target, actor_user_id=actor_user_id, reason="HQ move")
            continue
        rows.append(_row(follow, handover, takeover, resigned=False, reason=REASON_HQ_MOVE))
    _enqueue(rows)
    db.session.commit()
    return rows


def _fail(row: WecomTransfer, code: int | None, message: str) -> None:
    row.status, row.errcode, row.errmsg, row.decided_at = T_FAILED, code, message[:2000], utcnow()


def handle_transfer(message) -> dict:
    """Outbox handler for ``TRANSFER_KIND``: one call for ≤ 100 customers or groups."""
    rows = db.session.scalars(
        select(WecomTransfer).where(
            WecomTransfer.id.in_(message.payload["ids"]), WecomTransfer.status == T_QUEUED
        )
    ).all()
    if not rows:
        return {"calls": 0}
    first = rows[0]
    handover, takeover, resigned = first.handover_userid, first.takeover_userid, first.resigned
    ids = [r.id for r in rows]
    db.session.commit()
    failed: dict[str, tuple[int, str]] = {}
    codes: dict[str, int] = {}
    try:
        if first.target == "group":
            failed = wecom_customers.transfer_groups(
                [r.chat_id or "" for r in rows], takeover, resigned=resigned
            )
        else:
            codes = wecom_customers.transfer_customer(
                handover, takeover, [r.external_userid or "" for r in rows], resigned=resigned
            )
    except WeChatAPIError as exc:
        if resigned and first.target == "customer" and exc.errcode == MEMBER_NOT_RESIGNED:
            # 40097 该成员尚未离职: still a member in WeCom, so 在职继承
            return _on_the_job_instead(ids, f"{exc.errcode}: {exc.errmsg}")
        for row in db.session.scalars(select(WecomTransfer).where(WecomTransfer.id.in_(ids))):
            _fail(row, exc.errcode, f"{exc.errcode}: {exc.errmsg}")
        db.session.commit()
        raise GiveUp(str(exc)) from exc
    except WeChatError as exc:
        raise as_retry_later(exc) or RetryLater(str(exc)) from exc
    now = utcnow()
    moved_groups: list = []
    again: list[int] = []
    for row in db.session.scalars(select(WecomTransfer).where(WecomTransfer.id.in_(ids))):
        if row.target == "group":
            if row.chat_id in failed:
                group_code, msg = failed[row.chat_id]
                if group_code == NOT_RESIGNED and row.resigned:  # the owner is still a member
                    again.append(row.id)
                    continue
                _fail(row, group_code, f"{group_code}: {msg or REASONS.get(group_code, '')}")
            else:
                row.status, row.decided_at, row.takeover_at = T_ACCEPTED, now, now
                moved_groups.append(row.chat_id)
            continue
        code = codes.get(row.external_userid or "")
        if code == 0:
            row.status, row.takeover_at = T_WAITING, now + WAIT
        else:
            _fail(row, code, f"{code}: {REASONS.get(code or 0, 'no answer for this customer')}")
    db.session.commit()
    _reread_groups(moved_groups)
    if again:
        _on_the_job_instead(again, f"{NOT_RESIGNED}: {REASONS[NOT_RESIGNED]}")
    return {"rows": len(ids)}


def _on_the_job_instead(ids: list[int], why: str) -> dict:
    """WeCom refused 离职继承 because the guide is still a member there (not deleted in
    WeCom yet): hand the same customers / groups over on the job (在职继承) instead."""
    rows = list(db.session.scalars(select(WecomTransfer).where(WecomTransfer.id.in_(ids))))
    for row in rows:
        row.resigned, row.errmsg = False, f"离职继承 refused ({why}); 在职继承 instead"[:2000]
    _enqueue(rows)
    db.session.commit()
    return {"rows": len(rows), "on_the_job": True}


def _reread_groups(chat_ids: list) -> None:
    """A group WeCom moved (no callback for API changes): read it so the owner follows."""
    from community.services.sync import sync_one

    for chat_id in chat_ids:
        try:
            sync_one(chat_id)
        except WeChatError as exc:  # the next full sync repairs
            log.warning("group %s not read after its hand-over: %s", chat_id, exc)


def _accept(row: WecomTransfer, taken_at: datetime | None = None) -> None:
    """WeCom says the takeover happened: ``takeover_at`` becomes WeCom's ``takeover_time``
    (``taken_at``; the moment Siyu learnt it when WeCom gave none), never the deadline."""
    row.status, row.decided_at = T_ACCEPTED, utcnow()
    row.takeover_at = taken_at or row.decided_at
    customer = db.session.get(Customer, row.customer_id) if row.customer_id else None
    takeover = db.session.get(Guide, row.takeover_guide_id) if row.takeover_guide_id else None
    if customer is not None and takeover is not None:
        rule = RULES.get(row.reason, RULE_MANUAL)
        target = Target(takeover.franchisee_id, takeover.store_id, takeover.id, rule)
        apply_target(customer, target, reason=f"WeCom hand-over accepted ({row.reason})")


def _refuse(row: WecomTransfer, status: str, why: str) -> None:
    row.status, row.errmsg, row.decided_at = status, why, utcnow()
    customer = db.session.get(Customer, row.customer_id) if row.customer_id else None
    if customer is not None and row.reason == REASON_GUIDE_LEFT and customer.guide_id:
        target = Target(customer.franchisee_id, customer.store_id, None, RULE_GUIDE_LEFT)
        apply_target(customer, target, reason=f"WeCom hand-over {status}: stays with the store")


def _apply_result(row: WecomTransfer, status: int, takeover_time: int) -> None:
    """One ``transfer_result`` entry: ``takeover_time`` is when the customer was taken over
    (status 1) or, while waiting (2), the future automatic takeover; 0 otherwise."""
    outcome = RESULT.get(status)
    when = datetime.fromtimestamp(takeover_time, UTC) if takeover_time > 0 else None
    if outcome == T_ACCEPTED:
        _accept(row, when)
    elif outcome in (T_REFUSED, T_LIMIT):
        why = "customer_refused" if outcome == T_REFUSED else "customer_limit_exceed"
        _refuse(row, outcome, why)
    elif outcome == T_WAITING and when is not None:
        row.takeover_at = when


def read_back() -> dict:
    """Read WeCom's outcome of every waiting hand-over (commits); returns counts."""
    pairs = db.session.execute(
        select(WecomTransfer.handover_userid, WecomTransfer.takeover_userid, WecomTransfer.resigned)
        .where(WecomTransfer.status == T_WAITING, WecomTransfer.target == "customer")
        .distinct()
    ).all()
    db.session.commit()
    counts: dict[str, int] = defaultdict(int)
    for handover, takeover, resigned in pairs:
        results = wecom_customers.transfer_result(handover, takeover, resigned=resigned)
        by_external = {str(r["external_userid"]): r for r in results}
        for row in db.session.scalars(
            select(WecomTransfer).where(
                WecomTransfer.status == T_WAITING,
                WecomTransfer.handover_userid == handover,
                WecomTransfer.takeover_userid == takeover,
                WecomTransfer.resigned.is_(resigned),
            )
        ):
            result = by_external.get(row.external_userid or "")
            if result is not None:
                _apply_result(row, int(result["status"]), int(result.get("takeover_time") or 0))
                counts[row.status] += 1
            elif row.takeover_at and row.takeover_at < utcnow() - WAIT:  # 5 无接替记录
                _fail(row, 5, "5: WeCom has no record of this hand-over (无接替记录)")
                counts[row.status] += 1
        db.session.commit()
    return dict(counts)


def on_transfer_failed(userid: str, external_userid: str, fail_reason: str) -> None:
    """``CONTACT_TRANSFER_FAILED`` (the ``transfer_fail`` callback, ``UserID`` the takeover
    member): the waiting hand-over of that customer to that member is refused at once."""
    row = db.session.scalars(
        select(WecomTransfer).where(
            WecomTransfer.status == T_WAITING,
            WecomTransfer.takeover_userid == userid,
            WecomTransfer.external_userid == external_userid,
        )
    ).first()
    if row is not None:
        status = T_LIMIT if fail_reason == "customer_limit_exceed" else T_REFUSED
        _refuse(row, status, fail_reason or "customer_refused")
    db.session.commit()
