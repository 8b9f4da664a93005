"""Sandbox WeCom's python API: customer groups, members joining and leaving, confirmations.

What the control endpoints (``control``), the demo seeder and tests do in place of WeCom
users: create or seed customer groups (at most ``MAX_GROUP_MEMBERS`` members), add and
remove members (firing ``change_external_chat`` callbacks), and a sender confirming a
group send, where the one-message-per-group-per-day quota (``WECOM_GROUP_DAILY_QUOTA``)
applies. The HTTP routes that read this state are in ``wecom``.
"""

from __future__ import annotations

import hashlib

from app.wechat.sandbox.state import SandboxState

MAX_GROUP_MEMBERS = 500


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


def add_members(st: SandboxState, chat_id: str, members: list[dict], join_scene: int = 3) -> dict:
    """Add members to a group and fire ``change_external_chat`` update/add_member."""
    from app.wechat.sandbox.delivery import fire_wecom_event

    with st.lock:
        group = st.data["groups"].get(chat_id)
        if group is None:
            raise KeyError(chat_id)
        present = {m["userid"] for m in group["member_list"]}
        new = [_member(st, m, join_scene) for m in members if str(m["userid"]) not in present]
        if len(group["member_list"]) + len(new) > MAX_GROUP_MEMBERS:
            raise ValueError(f"a customer group holds at most {MAX_GROUP_MEMBERS} members")
        group["member_list"].extend(new)
    return fire_wecom_event(
        st,
        {
            "Event": "change_external_chat",
            "ChatId": chat_id,
            "ChangeType": "update",
            "UpdateDetail": "add_member",
            "JoinScene": join_scene,
            "MemChangeCnt": len(new),
            "MemChangeList": {"Item": [m["userid"] for m in new]},
        },
    )


def remove_member(st: SandboxState, chat_id: str, userid: str, quit_scene: int = 0) -> dict:
    """Remove a member and fire ``change_external_chat`` update/del_member."""
    from app.wechat.sandbox.delivery import fire_wecom_event

    with st.lock:
        group = st.data["groups"].get(chat_id)
        if group is None or userid not in {m["userid"] for m in group["member_list"]}:
            raise KeyError(userid)
        group["member_list"] = [m for m in group["member_list"] if m["userid"] != userid]
    return fire_wecom_event(
        st,
        {
            "Event": "change_external_chat",
            "ChatId": chat_id,
            "ChangeType": "update",
            "UpdateDetail": "del_member",
            "QuitScene": quit_scene,
            "MemChangeCnt": 1,
            "MemChangeList": {"Item": [userid]},
        },
    )


def confirm_task(st: SandboxState, msgid: str) -> dict:
    """The sender confirms a group send: each group gets status 1, or 3 over its daily quota."""
    quota = int(st.config.get("WECOM_GROUP_DAILY_QUOTA", 1))
    with st.lock:
        task = st.data["tasks"].get(msgid)
        if task is None:
            raise KeyError(msgid)
        if task["status"] != "sent":
            now = int(st.now())
            day = st.today(now)
            for chat_id, result in task["results"].items():
                if chat_id not in st.data["groups"]:
                    result.update(status=2, send_time=0)
                    continue
                key = f"{chat_id}|{day}"
                used = st.data["quota"].get(key, 0)
                if used >= quota:
                    result.update(status=3, send_time=0)
                else:
                    st.data["quota"][key] = used + 1
                    result.update(status=1, send_time=now)
            task.update(status="sent", send_time=now)
        return task
