"""Sandbox WeCom (``/_sandbox/qyapi/cgi-bin/...``): token, customer groups, group sends.

Rules enforced as WeCom does (DESIGN.md table): ``add_msg_template`` limits, tasks that
wait for the sender's confirmation, the corp's receiving limit per group (by default as
many a calendar month as the month has days, or 7 a week, or 1 a day:
``wecom_groups.receiving_limit``) applied at confirmation, reminders ≤ 3 per msgid in 24 h.
Every error answers the code WeCom's 全局错误码 list gives for it (named at each route).
The python API used by control endpoints and the demo seeder (``create_groups``,
``confirm_task`` ...) lives in ``wecom_groups``; temporary media in ``wecom_media``.
"""

from __future__ import annotations

import base64

from flask import request

from app.wechat.sandbox.blueprint import SandboxFault, bp, err, ok, state, wecom_request
from app.wechat.sandbox.wecom_groups import member_version, visible_group
from app.wechat.sandbox.wecom_media import (  # noqa: F401 - the media route and its helpers
    MEDIA_TTL,
    media_type,
    media_valid,
)

P = "/qyapi/cgi-bin/"


# -- routes ---------------------------------------------------------------------------
@bp.get(P + "gettoken")
def gettoken():
    cfg = state().config
    if request.args.get("corpid") != cfg["WECOM_CORP_ID"]:
        return err(40013, "invalid corpid")
    if request.args.get("corpsecret") != cfg["WECOM_SECRET"]:
        return err(40001, "invalid credential: corpsecret")
    token, ttl = state().issue_token("wecom")
    return ok(access_token=token, expires_in=ttl)


def cursor_of(raw) -> int:
    if not raw:
        return 0
    try:
        return int(base64.urlsafe_b64decode(str(raw).encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise SandboxFault(err(40058, "invalid cursor")) from None


def next_cursor(offset: int, total: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode() if offset < total else ""


def _limit(body: dict, default: int, maximum: int) -> int:
    limit = body.get("limit", default)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= maximum:
        raise SandboxFault(err(40058, f"limit must be 1..{maximum}"))
    return limit


@bp.post(P + "externalcontact/groupchat/list")
def groupchat_list():
    body = wecom_request("externalcontact/groupchat/list")
    limit = _limit(body, 100, 1000)
    status_filter = int(body.get("status_filter") or 0)
    owners = set((body.get("owner_filter") or {}).get("userid_list") or [])
    st = state()
    with st.lock:
        rows = sorted(st.data["groups"].values(), key=lambda g: (g["create_time"], g["chat_id"]))
        rows = [
            g
            for g in rows
            if not g.get("dismissed")
            and (not owners or g["owner"] in owners)
            and (not status_filter or g["status"] == status_filter)
        ]
    start = cursor_of(body.get("cursor"))
    page = rows[start : start + limit]
    return ok(
        group_chat_list=[{"chat_id": g["chat_id"], "status": g["status"]} for g in page],
        next_cursor=next_cursor(start + limit, len(rows)),
    )


@bp.post(P + "externalcontact/groupchat/get")
def groupchat_get():
    """The group as WeCom shows it now: with a lag set (``control/flags``), a change made
    within the last ``groupchat_lag_seconds`` is not visible yet (see ``wecom_groups``)."""
    body = wecom_request("externalcontact/groupchat/get")
    st = state()
    with st.lock:
        group, errcode = visible_group(st, str(body.get("chat_id") or ""))
        if group is None:
            return err(errcode)
        need_name = bool(body.get("need_name"))
        members = []
        for m in group["member_list"]:
            m = dict(m)
            if not need_name:
                m.pop("name", None)
            members.append(m)
        detail = {k: group[k] for k in ("chat_id", "name", "owner", "create_time", "notice")}
        detail.update(
            member_list=members,
            admin_list=list(group["admin_list"]),
            member_version=member_version(group["member_list"]),
        )
    return ok(group_chat=detail)


# attachment msgtypes add_msg_template takes, and which of them carry a temporary media_id
ATTACHMENT_TYPES = ("image", "link", "miniprogram", "video", "file")
MEDIA_ATTACHMENTS = ("image", "video", "file")


@bp.post(P + "externalcontact/add_msg_template")
def add_msg_template():
    """创建企业群发. Codes from WeCom's 全局错误码 list: 40063 参数为空 for a group send
    without its (required) ``sender``; 41048 无可发送的客户 when no listed customer / group
    can receive it (no task is made); 40007 不合法的media_id参数 for an unknown, expired or
    wrong-type media id; 41065 无效的附件类型; 40058 不合法的参数 for the size limits."""
    body = wecom_request("externalcontact/add_msg_template")
    chat_type = body.get("chat_type") or "single"
    sender = body.get("sender")
    if chat_type not in ("single", "group"):
        return err(40058, "chat_type must be single or group")
    if chat_type == "group" and not sender:
        return err(40063, "sender is required for chat_type group")
    text = (body.get("text") or {}).get("content") or ""
    attachments = body.get("attachments") or []
    if len(text.encode("utf-8")) > 4000:
        return err(40058, "text.content exceeds 4000 bytes")
    if not isinstance(attachments, list) or len(attachments) > 9:
        return err(40058, "at most 9 attachments")
    if not text and not attachments:
        return err(40058, "text or attachments required")
    st = state()
    for a in attachments:
        kind = a.get("msgtype") if isinstance(a, dict) else None
        if kind not in ATTACHMENT_TYPES or not isinstance(a.get(kind), dict):
            return err(41065, "attachment msgtype must be one of " + ", ".join(ATTACHMENT_TYPES))
        if kind in MEDIA_ATTACHMENTS and media_type(st, str(a[kind].get("media_id"))) != kind:
            return err(40007, "invalid media_id")  # WeCom forgot it, or another type's id
    if chat_type == "single":  # fail_list: the listed customers the sender cannot reach
        from app.wechat.sandbox.wecom_single import is_friend

        listed = [str(u) for u in body.get("external_userid") or []]
        targets = [u for u in listed if not sender or is_friend(st, u, sender)]
        fail_list: list[str] = [u for u in listed if u not in targets]
    else:
        chat_ids = body.get("chat_id_list") or []
        if not isinstance(chat_ids, list) or len(chat_ids) > 2000:
            return err(40058, "chat_id_list holds at most 2000 chat ids")
        with st.lock:  # look up the listed groups only: a call costs its own size
            groups = st.data["groups"]
            if not chat_ids:
                chat_ids = list(groups)
            targets = [c for c in chat_ids if _sender_owns(groups.get(c), sender)]
            reached = set(targets)
            fail_list = [c for c in chat_ids if c not in reached]
    if not targets:
        return err(41048, "no customer or customer group to send to")
    msgid = st.next_id("msgSBX", 10)
    with st.lock:
        st.data["tasks"][msgid] = {
            "msgid": msgid,
            "chat_type": chat_type,
            "sender": sender or "",
            "text": text,
            "attachments": attachments,
            "create_time": int(st.now()),
            "status": "pending",
            "send_time": 0,
            "reminders": [],
            "results": {t: {"status": 0, "send_time": 0} for t in targets},
        }
    return ok(fail_list=fail_list, msgid=msgid)


def _sender_owns(group: dict | None, sender) -> bool:
    """Whether ``group`` exists, is not dismissed and is ``sender``'s."""
    return group is not None and not group.get("dismissed") and group["owner"] == sender


def _task(body: dict) -> dict:
    """The task named by ``msgid``: 41046 缺少企业群发消息id when it is missing, 41047 无效的
    企业群发消息id when WeCom never made it (全局错误码)."""
    msgid = body.get("msgid")
    if not msgid:
        raise SandboxFault(err(41046))
    task = state().data["tasks"].get(str(msgid))
    if task is None:
        raise SandboxFault(err(41047))
    return task


@bp.post(P + "externalcontact/get_groupmsg_task")
def get_groupmsg_task():
    body = wecom_request("externalcontact/get_groupmsg_task")
    _limit(body, 500, 1000)
    with state().lock:
        task = _task(body)
        row = {
            "userid": task["sender"],
            "status": 2 if task["status"] == "sent" else 0,
            "send_time": task["send_time"],
        }
    return ok(next_cursor="", task_list=[row])


@bp.post(P + "externalcontact/get_groupmsg_send_result")
def get_groupmsg_send_result():
    body = wecom_request("externalcontact/get_groupmsg_send_result")
    limit = _limit(body, 500, 1000)
    with state().lock:
        task = _task(body)
        rows = []
        if not body.get("userid") or body.get("userid") == task["sender"]:
            for target, result in sorted(task["results"].items()):
                key = "chat_id" if task["chat_type"] == "group" else "external_userid"
                rows.append({key: target, "userid": task["sender"], **result})
    start = cursor_of(body.get("cursor"))
    return ok(
        next_cursor=next_cursor(start + limit, len(rows)), send_list=rows[start : start + limit]
    )


REMINDERS_PER_DAY = 3  # 提醒成员群发: 24小时内每个群发最多触发三次提醒


@bp.post(P + "externalcontact/remind_groupmsg_send")
def remind_groupmsg_send():
    """A fourth reminder of one msgid within 24 hours is refused. The doc (提醒成员群发)
    states the limit but no code of its own; the sandbox answers the global list's
    frequency-limit code, 45009 接口调用超过限制."""
    body = wecom_request("externalcontact/remind_groupmsg_send")
    st = state()
    with st.lock:
        task = _task(body)
        now = st.now()
        recent = [t for t in task["reminders"] if t > now - 86400]
        if len(recent) >= REMINDERS_PER_DAY:
            return err(45009, "remind limit: 3 reminders per msgid within 24 hours")
        task["reminders"] = recent + [now]
    return ok()
