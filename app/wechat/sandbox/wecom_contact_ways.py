"""Sandbox WeCom 联系我 ways (客户联系「联系我」管理): ``add_contact_way``,
``get_contact_way``, ``update_contact_way``, ``del_contact_way``.

WeCom's rules it applies: ``type`` 1 single (exactly one ``user``) or 2 multi (41037
missing or invalid type), ``scene`` 1 mini-program / 2 QR (41040 otherwise), ``state`` and
``remark`` at most 30 characters (40058), at most 100 members (41041 「联系我」使用人数超过
限制); an unknown or deleted ``config_id`` answers 41044 (无效的「联系我」config_id参数);
``update_contact_way``'s ``user`` replaces the way's members, so a customer scanning the
code afterwards reaches only them (a member who left the corp: 40003 无效的UserID). The
ways live in the contacts world (``wecom_contacts.world``), where a scan finds them.
"""

from __future__ import annotations

import secrets

from app.wechat.sandbox.blueprint import SandboxFault, bp, err, json_body, ok, state, wecom_request
from app.wechat.sandbox.wecom import P
from app.wechat.sandbox.wecom_contacts import STATE_MAX, world

MAX_WAY_USERS = 100  # members of one multi-person way
INVALID_CONFIG_ID = 41044  # 无效的「联系我」config_id参数
TOO_MANY_USERS = 41041  # 「联系我」使用人数超过限制


@bp.post(P + "externalcontact/add_contact_way")
def add_contact_way():
    body = wecom_request("externalcontact/add_contact_way")
    way_type, scene = body.get("type"), body.get("scene")
    if way_type not in (1, 2):
        return err(41037, "missing contact way type")
    if scene not in (1, 2):
        return err(41040, "invalid contact way scene")
    for field in ("state", "remark"):
        value = body.get(field, "")
        if not isinstance(value, str) or len(value) > STATE_MAX:
            return err(40058, f"{field} is at most {STATE_MAX} characters")
    users = body.get("user") or []
    if not isinstance(users, list) or not users or (way_type == 1 and len(users) != 1):
        return err(40058, "user: a single-person way takes exactly one userid")
    if len(users) > MAX_WAY_USERS:
        return err(TOO_MANY_USERS, f"a way takes at most {MAX_WAY_USERS} members")
    st = state()
    config_id = secrets.token_hex(16)
    way = {
        "config_id": config_id,
        "type": way_type,
        "scene": scene,
        "remark": body.get("remark", ""),
        "state": body.get("state", ""),
        "user": [str(u) for u in users],
        "skip_verify": bool(body.get("skip_verify", True)),
    }
    if scene == 2:
        way["qr_code"] = f"https://wework.qpic.cn/sandbox/contact_way/{config_id}"
    with st.lock:
        world(st)["contact_ways"][config_id] = way
    return ok(config_id=config_id, **({"qr_code": way["qr_code"]} if scene == 2 else {}))


def _way_of(api: str) -> dict:
    """The live contact way the body's ``config_id`` names, after WeCom's checks (faults,
    token, rate); an unknown or deleted one answers 41044. Callers hold the lock after."""
    body = wecom_request(api)
    with state().lock:
        way = world(state())["contact_ways"].get(str(body.get("config_id") or ""))
    if way is None or way.get("deleted"):
        raise SandboxFault(err(INVALID_CONFIG_ID, "invalid config_id"))
    return way


@bp.post(P + "externalcontact/get_contact_way")
def get_contact_way():
    way = _way_of("externalcontact/get_contact_way")
    with state().lock:
        return ok(contact_way=dict(way))


@bp.post(P + "externalcontact/update_contact_way")
def update_contact_way():
    """Replace a way's members (and remark / state when given): a customer scanning it
    afterwards reaches only the new members. A member who left the corp: 40003 无效的UserID."""
    way = _way_of("externalcontact/update_contact_way")
    body = json_body()
    for field in ("state", "remark"):
        value = body.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > STATE_MAX):
            return err(40058, f"{field} is at most {STATE_MAX} characters")
    users = body.get("user")
    st = state()
    with st.lock:
        if users is not None:
            if not isinstance(users, list) or not users or (way["type"] == 1 and len(users) != 1):
                return err(40058, "user: a single-person way takes exactly one userid")
            if len(users) > MAX_WAY_USERS:
                return err(TOO_MANY_USERS, f"a way takes at most {MAX_WAY_USERS} members")
            gone = [u for u in users if u in st.data.get("resigned", ())]
            if gone:
                return err(40003, f"invalid userid: {gone[0]}")
            way["user"] = [str(u) for u in users]
            way["adds"] = 0
        for field in ("state", "remark"):
            if body.get(field) is not None:
                way[field] = body[field]
    return ok()


@bp.post(P + "externalcontact/del_contact_way")
def del_contact_way():
    way = _way_of("externalcontact/del_contact_way")
    with state().lock:
        way["deleted"] = True
    return ok()
