"""Real group join codes (客户群「加入群聊」) for invite codes: fission codes of a guide or a
campaign, and store codes.

An ``InviteCode`` is written with its ``state`` (≤ 30 characters, WeCom's limit) and
commits; the outbox message ``JOIN_WAY_KIND`` then configures the join way
(``groupchat/add_join_way``: scene 2 群二维码, the code's groups — its own group, else the
guide's or the store's least-full active groups, at most 5 — ``auto_create_room`` so a
full group opens the next, and the state) and reads it back (``get_join_way``) for the
``qr_code``, which becomes the code's link. A refusal is kept on the code
(``join_way_error``: WeCom's errcode and reason) and shown; nothing is retried that WeCom
refused. ``refresh_groups`` re-points a code at the current groups
(``update_join_way``) and ``retire`` deletes it (``del_join_way``), both through the
outbox after the commit.

A customer who joins through the code carries the state on the member
(``groupchat/get``), so ``community.services.fission.record_joins`` attributes the join
to the code (its guide, store, campaign and inviter).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.extensions import db
from app.outbox import GiveUp, RetryLater, enqueue
from app.wechat import wecom_customers
from app.wechat.errors import WeChatAPIError, WeChatError, as_retry_later
from community.models.groups import GROUP_ACTIVE, WecomGroup
from community.models.growth import InviteCode

log = logging.getLogger("siyu.community")

JOIN_WAY_KIND = "community.join_way"
GROUP_LIMIT = 500  # members of a customer group
SCENE_QR = 2  # 群的二维码插件


def enqueue_join_way(code: InviteCode, action: str = "add") -> None:
    """Queue ``action`` (add / update / del) of the code's join way (no commit)."""
    dedupe = f"join-way:{code.id}:{action}:{code.join_way_config_id or ''}"
    enqueue(JOIN_WAY_KIND, {"code_id": code.id, "action": action}, dedupe)


def chat_ids_for(code: InviteCode) -> list[str]:
    """The groups the code's join way lists: its own group, else the guide's (or the
    store's, or for an HQ campaign code any) active groups with the most room first, at
    most 5."""
    if code.group_id:
        group = db.session.get(WecomGroup, code.group_id)
        return [group.chat_id] if group and group.status == GROUP_ACTIVE else []
    stmt = select(WecomGroup.chat_id).where(
        WecomGroup.status == GROUP_ACTIVE, WecomGroup.member_count < GROUP_LIMIT
    )
    if code.guide_id:
        stmt = stmt.where(WecomGroup.guide_id == code.guide_id)
    elif code.store_id:
        stmt = stmt.where(WecomGroup.store_id == code.store_id)
    elif not code.campaign_id:
        return []  # an HQ campaign code invites into the least-full groups anywhere
    stmt = stmt.order_by(WecomGroup.member_count, WecomGroup.id)
    return list(db.session.scalars(stmt.limit(wecom_customers.MAX_JOIN_WAY_CHATS)))


def join_way_body(code: InviteCode, chat_ids: list[str]) -> dict:
    """The add / update body of the code's join way."""
    base = code.label or (code.store.name if code.store else "") or "Siyu"
    return {
        "scene": SCENE_QR,
        "remark": (code.label or code.state)[:30],
        "auto_create_room": 1,
        "room_base_name": base[:30],
        "room_base_id": 1,
        "chat_id_list": chat_ids,
        "state": code.state,
    }


def _refused(code_id: int, exc: WeChatAPIError) -> GiveUp:
    code = db.session.get(InviteCode, code_id)
    if code is not None:
        code.join_way_error = f"{exc.errcode}: {exc.errmsg}"[:2000]
        db.session.commit()
    return GiveUp(f"join way of code {code_id} refused: {exc}")


def handle_join_way(message) -> dict:
    """Outbox handler for ``JOIN_WAY_KIND`` (no transaction open during the calls)."""
    code_id, action = int(message.payload["code_id"]), message.payload.get("action", "add")
    code = db.session.get(InviteCode, code_id)
    if code is None:
        raise GiveUp(f"invite code {code_id} is gone")
    config_id = code.join_way_config_id
    chat_ids = chat_ids_for(code) if action != "del" else []
    body = join_way_body(code, chat_ids)
    if action != "del" and not chat_ids:
        code.join_way_error = "no active group with room for this code"
        db.session.commit()
        raise GiveUp(f"invite code {code_id}: no group to join")
    db.session.commit()
    try:
        if action == "del":
            if config_id:
                wecom_customers.del_join_way(config_id)
            return {"deleted": config_id}
        if action == "update" and config_id:
            wecom_customers.update_join_way(config_id, body)
        elif not config_id:
            config_id = wecom_customers.add_join_way(body)
            code = db.session.get(InviteCode, code_id)
            if code is not None:  # keep the id at once: a retry must not add a second way
                code.join_way_config_id = config_id
            db.session.commit()
        way = wecom_customers.get_join_way(config_id)
    except WeChatAPIError as exc:
        raise _refused(code_id, exc) from exc
    except WeChatError as exc:
        raise as_retry_later(exc) or RetryLater(str(exc)) from exc
    code = db.session.get(InviteCode, code_id)
    if code is not None:
        code.qr_url = str(way.get("qr_code") or "")[:255]
        code.join_way_error = None
        db.session.commit()
    return {"config_id": config_id, "chats": chat_ids}


def refresh_groups(code: InviteCode) -> None:
    """Point the code's join way at the current groups (commits; the call follows)."""
    enqueue_join_way(code, "update")
    db.session.commit()


def retire(code: InviteCode) -> None:
    """Stop a code: inactive here, its join way deleted in WeCom (commits)."""
    code.status = "inactive"
    enqueue_join_way(code, "del")
    db.session.commit()


__all__ = ["JOIN_WAY_KIND", "chat_ids_for", "handle_join_way", "refresh_groups", "retire"]
