"""Sandbox WeCom 客户群「加入群聊」管理: ``groupchat/add_join_way``, ``get_join_way``,
``update_join_way``, ``del_join_way``, and a customer scanning the code.

The rules are WeCom's (客户群「加入群聊」管理): ``scene`` 1 (群的小程序插件) or 2 (群的二维码
插件); ``chat_id_list`` is required and holds at most 5 groups; ``state`` is at most 30
UTF-8 characters; ``remark`` is cut to 30 characters and ``room_base_name`` may hold 40;
when every group is full and ``auto_create_room`` is 1 (the default) a new group named
``room_base_name`` + ``room_base_id`` is made. A corp may configure at most 500,000 join
ways through the API, shared with 联系我 (``contact_ways``). The join-way page gives that
quota no code; the 全局错误码 list's code for the shared 联系我 quota is 41045 (API添加
「联系我」达到数量上限), which the sandbox answers. More than 5 groups is 41091 (配置客户群
进群方式最多只能关联5个群). An unknown join-way ``config_id`` has no code of its own (41044
names the 联系我 config_id only): 40058 不合法的参数; an unknown group 40050, a dismissed
one 49008 (全局错误码).

A scan (``POST /_sandbox/control/join_ways/<config_id>/join``) puts the customer in the
first listed group with room, with ``join_scene`` 3 (扫描群二维码) and the way's
``state`` on the member (``groupchat/get`` shows it), and fires the
``change_external_chat`` add_member event with ``JoinScene`` 3.
"""

from __future__ import annotations

import secrets

from flask import jsonify, request

from app.errors import envelope
from app.wechat.sandbox.blueprint import SandboxFault, bp, err, ok, state, wecom_request
from app.wechat.sandbox.state import SandboxState
from app.wechat.sandbox.wecom_groups import MAX_GROUP_MEMBERS, add_members, create_groups

P = "/qyapi/cgi-bin/externalcontact/groupchat/"
MAX_CHATS = 5
MAX_STATE_CHARS = 30
MAX_REMARK_CHARS = 30
MAX_ROOM_BASE_NAME = 40
CORP_QUOTA = 500_000  # join ways and contact ways together
WAYS_FULL = 41045  # API添加「联系我」达到数量上限 (the quota the two share)
TOO_MANY_CHATS = 41091  # 配置客户群进群方式最多只能关联5个群
JOIN_SCENE_QR = 3


def _check_chats(st: SandboxState, chat_ids) -> list[str]:
    if not isinstance(chat_ids, list) or not chat_ids:
        raise SandboxFault(err(40063, "chat_id_list is required"))
    if len(chat_ids) > MAX_CHATS:
        raise SandboxFault(err(TOO_MANY_CHATS, f"chat_id_list holds at most {MAX_CHATS} groups"))
    for chat_id in chat_ids:
        group = st.data["groups"].get(str(chat_id))
        if group is None:
            raise SandboxFault(err(40050))
        if group.get("dismissed"):
            raise SandboxFault(err(49008))
    return [str(c) for c in chat_ids]


def _fields(st: SandboxState, body: dict, way: dict) -> dict:
    """``body``'s settings applied over ``way`` after WeCom's checks (lock held)."""
    scene = body.get("scene", way.get("scene"))
    if scene not in (1, 2):
        raise SandboxFault(err(40058, "scene must be 1 or 2"))
    state_value = str(body.get("state", way.get("state", "")) or "")
    if len(state_value) > MAX_STATE_CHARS:
        raise SandboxFault(err(40058, f"state holds at most {MAX_STATE_CHARS} characters"))
    base_name = str(body.get("room_base_name", way.get("room_base_name", "")) or "")
    if len(base_name) > MAX_ROOM_BASE_NAME:
        raise SandboxFault(err(40058, "room_base_name holds at most 40 characters"))
    auto = body.get("auto_create_room", way.get("auto_create_room", 1))
    if auto not in (0, 1):
        raise SandboxFault(err(40058, "auto_create_room must be 0 or 1"))
    return {
        **way,
        "scene": scene,
        "remark": str(body.get("remark", way.get("remark", "")) or "")[:MAX_REMARK_CHARS],
        "auto_create_room": auto,
        "room_base_name": base_name,
        "room_base_id": int(body.get("room_base_id", way.get("room_base_id", 1)) or 1),
        "chat_id_list": _check_chats(st, body.get("chat_id_list", way.get("chat_id_list"))),
        "state": state_value,
    }


def _way(st: SandboxState, body: dict) -> dict:
    config_id = body.get("config_id")
    if not config_id:
        raise SandboxFault(err(40063, "config_id is required"))
    way = st.data["join_ways"].get(str(config_id))
    if way is None:
        raise SandboxFault(err(40058, "invalid config_id"))
    return way


@bp.post(P + "add_join_way")
def add_join_way():
    body = wecom_request("externalcontact/groupchat/add_join_way")
    st = state()
    with st.lock:
        used = len(st.data["join_ways"]) + len(st.data.get("contact_ways") or {})
        if used >= CORP_QUOTA:
            return err(WAYS_FULL, "join way quota: 500000 per corp, shared with contact ways")
        config_id = secrets.token_hex(16)
        way = _fields(st, body, {"config_id": config_id})
        way["qr_code"] = f"{request.host_url.rstrip('/')}/_sandbox/join_ways/{config_id}"
        st.data["join_ways"][config_id] = way
    return ok(config_id=config_id)


def _on_way(api: str, change):
    """Guard ``api``, find the body's way and apply ``change(st, body, way)`` (lock held)."""
    body = wecom_request("externalcontact/groupchat/" + api)
    st = state()
    with st.lock:
        return change(st, body, _way(st, body))


@bp.post(P + "get_join_way")
def get_join_way():
    return ok(join_way=_on_way("get_join_way", lambda st, body, way: dict(way)))


@bp.post(P + "update_join_way")
def update_join_way():
    def change(st, body, way):
        st.data["join_ways"][way["config_id"]] = _fields(st, body, way)

    _on_way("update_join_way", change)
    return ok()


@bp.post(P + "del_join_way")
def del_join_way():
    _on_way("del_join_way", lambda st, body, way: st.data["join_ways"].pop(way["config_id"]))
    return ok()


@bp.get("/join_ways/<config_id>")
def join_way_page(config_id: str):
    """What the QR code points at in the sandbox: the way's groups and state."""
    way = state().data["join_ways"].get(config_id)
    if way is None:
        return envelope(404, "No such join way in the sandbox.")
    return jsonify(way)


def _room(st: SandboxState, way: dict) -> tuple[str | None, bool]:
    """``(chat_id, created)``: the first listed group with room, or a new one when all are
    full and ``auto_create_room`` allows it (lock held; the caller fires its event)."""
    for chat_id in way["chat_id_list"]:
        group = st.data["groups"].get(chat_id)
        if group and not group.get("dismissed") and len(group["member_list"]) < MAX_GROUP_MEMBERS:
            return chat_id, False
    if not way.get("auto_create_room") or not way["chat_id_list"]:
        return None, False
    owner = st.data["groups"][way["chat_id_list"][-1]]["owner"]
    name = f"{way.get('room_base_name') or 'Siyu'}{way.get('room_base_id', 1)}"
    (chat_id,) = create_groups(st, [{"owner": owner, "name": name}])
    way["room_base_id"] = int(way.get("room_base_id", 1)) + 1
    way["chat_id_list"] = (way["chat_id_list"] + [chat_id])[-MAX_CHATS:]
    return chat_id, True


@bp.post("/control/join_ways/<config_id>/join")
def scan_join_way(config_id: str):
    """A customer scans the code: ``{"userid"?, "name"?, "unionid"?}``; answers the chat
    joined and the callback delivery."""
    body = request.get_json(silent=True) or {}
    st = state()
    with st.lock:
        way = st.data["join_ways"].get(config_id)
        if way is None:
            return envelope(404, "No such join way in the sandbox.")
        chat_id, created = _room(st, way)
        if chat_id is None:
            return envelope(409, "群聊已满员 (every group of this join way is full)")
    if created:
        from app.wechat.sandbox.delivery import fire_wecom_event

        fire_wecom_event(
            st, {"Event": "change_external_chat", "ChatId": chat_id, "ChangeType": "create"}
        )
    userid = str(body.get("userid") or st.next_id("wmSBX", 8))
    member = {"userid": userid, "type": 2, "state": way["state"]}
    member.update({k: body[k] for k in ("name", "unionid") if body.get(k)})
    callback = add_members(st, chat_id, [member], join_scene=JOIN_SCENE_QR)
    st.save()
    return jsonify({"chat_id": chat_id, "userid": userid, "callback": callback})
