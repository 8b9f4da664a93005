"""Sandbox WeCom's python API: customer groups, members joining and leaving, confirmations.

What the control endpoints (``control``), the demo seeder and tests do in place of WeCom
users: create or seed customer groups (at most ``MAX_GROUP_MEMBERS`` members), add and
remove members, change the owner, name or notice, dismiss a group — each firing the
``change_external_chat`` callback WeCom sends (客户联系 变更回调 事件格式: 客户群创建 /
变更 / 解散事件; member changes carry ``MemChangeCnt``, ``MemChangeList`` and the member
versions ``LastMemVer`` / ``CurMemVer``) — and a sender confirming a group send, where
the corp's receiving limit applies (``receiving_limit``: by default as many a calendar
month as the month has days, or 7 a week, or 1 a day — WeCom doc 92135).

Lag: WeCom's event doc warns that part of a change is processed asynchronously, so
``groupchat/get`` may show it only a moment (e.g. 2 s) after the callback. With
``groupchat_lag_seconds`` set (``POST /_sandbox/control/flags`` or the
``SANDBOX_GROUPCHAT_LAG`` setting), each change keeps the group's previous view, which
``groupchat/get`` answers until that many sandbox seconds have passed; a new group is
not found (40050) until then. The HTTP routes that read this state are in ``wecom``.
"""

from __future__ import annotations

import calendar
import copy
import hashlib
from datetime import date, timedelta

from app.wechat.sandbox.state import SandboxState

MAX_GROUP_MEMBERS = 500


def member_version(members: list[dict]) -> str:
    """The group's member version (``groupchat/get`` member_version, the events'
    ``LastMemVer`` / ``CurMemVer``): it changes whenever the member list does."""
    return hashlib.md5(",".join(sorted(m["userid"] for m in members)).encode()).hexdigest()


def lag_seconds(st: SandboxState) -> float:
    """How long ``groupchat/get`` keeps showing a group as it was before a change."""
    value = st.data["flags"].get("groupchat_lag_seconds")
    if value is None:
        value = st.config["SANDBOX_GROUPCHAT_LAG"]
    return max(0.0, float(value or 0))


def _keep_previous_view(st: SandboxState, group: dict, *, new: bool = False) -> None:
    """Before changing ``group`` (lock held): with a lag, remember what WeCom still shows."""
    lag = lag_seconds(st)
    if not lag:
        return
    until = st.now() + lag
    stale = group.get("_stale")
    if stale and stale["until"] > st.now():
        stale["until"] = until  # still showing an older view: keep it a while longer
        return
    view = None if new else copy.deepcopy({k: v for k, v in group.items() if k != "_stale"})
    group["_stale"] = {"until": until, "view": view}


def visible_group(st: SandboxState, chat_id: str) -> tuple[dict | None, int]:
    """``(group, 0)`` as ``groupchat/get`` sees it now (lock held), or ``(None, errcode)``:
    40050 chatid不存在 for an unknown (or not yet visible) group, 49008 群已经解散 for a
    dismissed one (全局错误码)."""
    group = st.data["groups"].get(chat_id)
    if group is None:
        return None, 40050
    stale = group.get("_stale")
    if stale and stale["until"] > st.now():
        if stale["view"] is None:
            return None, 40050
        group = stale["view"]
    elif stale:
        group.pop("_stale", None)
    if group.get("dismissed"):
        return None, 49008
    return group, 0


def _member(st: SandboxState, m: dict, default_scene: int = 1) -> dict:
    """A member as ``groupchat/get`` lists it; an external one (type 2) gets a unionid."""
    userid = str(m["userid"])
    member = {
        "userid": userid,
        "type": int(m.get("type", 2)),
        "join_time": int(m.get("join_time") or st.now()),
        "join_scene": int(m.get("join_scene", default_scene)),
        "group_nickname": m.get("group_nickname", ""),
        "name": m.get("name") or userid,
    }
    if member["type"] == 2:
        member["unionid"] = m.get("unionid") or "ou" + hashlib.md5(userid.encode()).hexdigest()[:26]
    if m.get("invitor"):
        member["invitor"] = {"userid": m["invitor"]}
    if m.get("state"):  # the join way's state (客户群「加入群聊」), shown per member
        member["state"] = str(m["state"])
    return member


def create_groups(st: SandboxState, groups: list[dict], *, fire_callbacks: bool = False) -> list:
    """Create customer groups (owner joins as member type 1); returns their chat ids."""
    created = []
    for g in groups:
        owner = str(g["owner"])
        chat_id = g.get("chat_id") or st.next_id("wrSBX", 10)
        members = [_member(st, m) for m in g.get("members", [])]
        if owner not in {m["userid"] for m in members}:
            members.insert(0, _member(st, {"userid": owner, "type": 1}))
        if len(members) > MAX_GROUP_MEMBERS:
            raise ValueError(f"a customer group holds at most {MAX_GROUP_MEMBERS} members")
        group = {
            "chat_id": chat_id,
            "name": g.get("name") or chat_id,
            "owner": owner,
            "create_time": int(g.get("create_time") or st.now()),
            "notice": g.get("notice", ""),
            "member_list": members,
            "admin_list": [{"userid": u} for u in g.get("admin_list", [])],
            "status": int(g.get("status", 0)),
        }
        with st.lock:
            _keep_previous_view(st, group, new=True)
            st.data["groups"][chat_id] = group
        created.append(chat_id)
        if fire_callbacks:
            from app.wechat.sandbox.delivery import fire_wecom_event

            fire_wecom_event(
                st, {"Event": "change_external_chat", "ChatId": chat_id, "ChangeType": "create"}
            )
    return created


def seed_groups(
    st: SandboxState,
    owners: list[str],
    count: int,
    members_per_group: int = 20,
    prefix: str = "Siyu",
) -> list[str]:
    """Create ``count`` groups spread over ``owners`` with external members (demo seeder)."""
    specs = []
    for i in range(count):
        owner = owners[i % len(owners)]
        members = [
            {"userid": f"wmSBX{i:03d}{j:03d}", "type": 2, "join_scene": 1 + (j % 3)}
            for j in range(members_per_group)
        ]
        specs.append({"name": f"{prefix} 客户群 {i + 1:02d}", "owner": owner, "members": members})
    return create_groups(st, specs)


def _member_event(group: dict, detail: str, before: str, userids: list[str], **extra) -> dict:
    """The ``change_external_chat`` update event of a member change."""
    return {
        "Event": "change_external_chat",
        "ChatId": group["chat_id"],
        "ChangeType": "update",
        "UpdateDetail": detail,
        **extra,
        "MemChangeCnt": len(userids),
        "MemChangeList": {"Item": userids},
        "LastMemVer": before,
        "CurMemVer": member_version(group["member_list"]),
    }


def _group(st: SandboxState, chat_id: str) -> dict:
    group = st.data["groups"].get(chat_id)
    if group is None or group.get("dismissed"):
        raise KeyError(chat_id)
    return group


def add_members(st: SandboxState, chat_id: str, members: list[dict], join_scene: int = 3) -> dict:
    """Add members to a group and fire ``change_external_chat`` update/add_member."""
    from app.wechat.sandbox.delivery import fire_wecom_event

    with st.lock:
        group = _group(st, chat_id)
        present = {m["userid"] for m in group["member_list"]}
        new = [_member(st, m, join_scene) for m in members if str(m["userid"]) not in present]
        if len(group["member_list"]) + len(new) > MAX_GROUP_MEMBERS:
            raise ValueError(f"a customer group holds at most {MAX_GROUP_MEMBERS} members")
        before = member_version(group["member_list"])
        _keep_previous_view(st, group)
        group["member_list"].extend(new)
        event = _member_event(
            group, "add_member", before, [m["userid"] for m in new], JoinScene=join_scene
        )
    return fire_wecom_event(st, event)


def remove_member(st: SandboxState, chat_id: str, userid: str, quit_scene: int = 0) -> dict:
    """Remove a member and fire ``change_external_chat`` update/del_member."""
    from app.wechat.sandbox.delivery import fire_wecom_event

    with st.lock:
        group = _group(st, chat_id)
        if userid not in {m["userid"] for m in group["member_list"]}:
            raise KeyError(userid)
        before = member_version(group["member_list"])
        _keep_previous_view(st, group)
        group["member_list"] = [m for m in group["member_list"] if m["userid"] != userid]
        event = _member_event(group, "del_member", before, [userid], QuitScene=quit_scene)
    return fire_wecom_event(st, event)


CHANGE_DETAILS = {"owner": "change_owner", "name": "change_name", "notice": "change_notice"}


def change_group(st: SandboxState, chat_id: str, changes: dict) -> list[dict]:
    """Change the owner, name and/or notice, one after the other (in that order), each
    followed by its change_owner / change_name / change_notice event, as a user's
    separate edits in WeCom are."""
    from app.wechat.sandbox.delivery import fire_wecom_event

    results = []
    for field, detail in CHANGE_DETAILS.items():
        with st.lock:
            group = _group(st, chat_id)
            if field not in changes or str(changes[field]) == str(group[field]):
                continue
            _keep_previous_view(st, group)
            group[field] = str(changes[field])
        event = {
            "Event": "change_external_chat",
            "ChatId": chat_id,
            "ChangeType": "update",
            "UpdateDetail": detail,
        }
        results.append(fire_wecom_event(st, event))
    return results


def dismiss_group(st: SandboxState, chat_id: str) -> dict:
    """The owner dismisses the group: gone from ``groupchat/list``, 49008 from
    ``groupchat/get``, and the ``change_external_chat`` dismiss event."""
    from app.wechat.sandbox.delivery import fire_wecom_event

    with st.lock:
        group = _group(st, chat_id)
        _keep_previous_view(st, group)
        group["dismissed"] = True
    return fire_wecom_event(
        st, {"Event": "change_external_chat", "ChatId": chat_id, "ChangeType": "dismiss"}
    )


RECEIVING_LIMITS = ("month", "week", "day")


def receiving_limit(st: SandboxState) -> str:
    """The corp's receiving-limit rule as its admin set it in WeCom (群发助手-设置群发规则):
    ``month`` (default), ``week`` or ``day``; ``POST /_sandbox/control/flags``
    ``{"receiving_limit": ...}`` changes it."""
    value = st.data["flags"].get("receiving_limit")
    return value if value in RECEIVING_LIMITS else "month"


def _period(policy: str, day: str) -> tuple[list[str], int]:
    """The days of ``day``'s period under ``policy`` and how many messages it allows
    (WeCom doc 92135: as many a calendar month as the month has days, 7 a week, 1 a day)."""
    current = date.fromisoformat(day)
    if policy == "month":
        size = calendar.monthrange(current.year, current.month)[1]
        first = current.replace(day=1)
        return [(first + timedelta(days=i)).isoformat() for i in range(size)], size
    if policy == "week":
        monday = current - timedelta(days=current.weekday())
        return [(monday + timedelta(days=i)).isoformat() for i in range(7)], 7
    return [day], 1


def confirm_task(st: SandboxState, msgid: str) -> dict:
    """The sender confirms a group send: each group gets status 1, or 3 when it has already
    received what the corp's receiving limit allows in the period (month / week / day).
    A 1:1 send (``chat_type=single``) counts per customer alike (``wecom_single``)."""
    from app.wechat.sandbox.wecom_single import gone

    policy = receiving_limit(st)
    with st.lock:
        task = st.data["tasks"].get(msgid)
        if task is None:
            raise KeyError(msgid)
        if task["status"] != "sent":
            now = int(st.now())
            day = st.today(now)
            period, limit = _period(policy, day)
            for chat_id, result in task["results"].items():
                if gone(st, task, chat_id):  # a dismissed group, or not a friend (1:1)
                    result.update(status=2, send_time=0)
                    continue
                used = sum(st.data["quota"].get(f"{chat_id}|{d}", 0) for d in period)
                if used >= limit:
                    result.update(status=3, send_time=0)
                else:
                    key = f"{chat_id}|{day}"
                    st.data["quota"][key] = st.data["quota"].get(key, 0) + 1
                    result.update(status=1, send_time=now)
            task.update(status="sent", send_time=now)
        return task
