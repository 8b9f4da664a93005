"""Sandbox WeCom corp tags (管理企业标签, 编辑客户企业标签) and the ``change_external_tag``
callback.

Rules as documented: ``get_corp_tag_list`` filters by ``group_id`` (which wins) or
``tag_id``; ``add_corp_tag`` adds tags to ``group_id`` or to the group named
``group_name`` (made when new); a corp holds at most 3,000 tags; ``edit_corp_tag``
renames / reorders a tag or a group; ``del_corp_tag`` deletes tags and whole groups (a
group left without tags goes too); ``mark_tag`` needs ``add_tag`` or ``remove_tag`` and
an ``external_userid`` that is a customer of ``userid``; a member may put at most 3,000
tags on one customer. Codes from WeCom's 全局错误码: 40068 不合法的标签ID, 40071 标签名字
已经存在, 40096 不合法的外部联系人userid, 40058 不合法的参数 (names over 30 characters,
both lists empty), 40126 企业标签个数达到上限 (the corp's 3,000 tags). The 3,000 tags a
member may put on one customer have no code in the docs; the sandbox answers 45009 for it
as for its other documented-without-code limits. Calls through the API fire
no callback (事件格式: 通过API进行的操作不会产生回调); ``POST /_sandbox/control/tags``
edits the library as an admin would in WeCom and fires ``change_external_tag``.

Who is whose customer: the contacts emulator's follows (``wecom_contacts``), the
``follows`` added by ``control/follows``, and a member of a group the member owns.
"""

from __future__ import annotations

import secrets

from flask import jsonify, request

from app.errors import envelope
from app.wechat.sandbox.blueprint import (
    SandboxFault,
    bp,
    err,
    guard,
    json_body,
    ok,
    state,
    wecom_request,
)
from app.wechat.sandbox.state import SandboxState

P = "/qyapi/cgi-bin/externalcontact/"
MAX_CORP_TAGS = 3000
CORP_TAGS_FULL = 40126  # 企业标签个数达到上限,最多为3000个
MAX_TAGS_PER_CUSTOMER = 3000
MAX_NAME = 30


def _tag_count(st: SandboxState) -> int:
    return sum(len(g["tag"]) for g in st.data["corp_tags"].values())


def _find_tag(st: SandboxState, tag_id: str) -> tuple[dict, dict] | None:
    for group in st.data["corp_tags"].values():
        for tag in group["tag"]:
            if tag["id"] == tag_id:
                return group, tag
    return None


def is_customer_of(st: SandboxState, userid: str, external_userid: str) -> bool:
    """Whether ``external_userid`` is a customer of the member ``userid`` (lock held)."""
    if f"{userid}|{external_userid}" in st.data["follows"]:
        return True
    contact = st.data.get("contacts", {}).get(external_userid)
    if contact and any(f["userid"] == userid for f in contact["follow_user"]):
        return True
    return any(
        g["owner"] == userid and any(m["userid"] == external_userid for m in g["member_list"])
        for g in st.data["groups"].values()
        if not g.get("dismissed")
    )


def _name(value, field: str) -> str:
    name = str(value or "").strip()
    if not name or len(name) > MAX_NAME:
        raise SandboxFault(err(40058, f"{field} must be 1..{MAX_NAME} characters"))
    return name


def add_tags(st: SandboxState, body: dict) -> dict:
    """``add_corp_tag`` (lock held): the group with its new tags, or ``SandboxFault``."""
    tags = body.get("tag") or []
    if not isinstance(tags, list) or not tags:
        raise SandboxFault(err(40063, "tag is required"))
    if _tag_count(st) + len(tags) > MAX_CORP_TAGS:
        raise SandboxFault(err(CORP_TAGS_FULL, f"a corp holds at most {MAX_CORP_TAGS} tags"))
    now = int(st.now())
    group = st.data["corp_tags"].get(str(body.get("group_id") or ""))
    if body.get("group_id") and group is None:
        raise SandboxFault(err(40068, "invalid group_id"))
    if group is None:
        name = _name(body.get("group_name"), "group_name")
        group = next((g for g in st.data["corp_tags"].values() if g["group_name"] == name), None)
        if group is None:
            group_id = "et" + secrets.token_hex(12)
            group = {"group_id": group_id, "group_name": name, "create_time": now}
            group.update(order=int(body.get("order") or 0), deleted=False, tag=[])
            st.data["corp_tags"][group_id] = group
    added = []
    for t in tags:
        name = _name((t or {}).get("name"), "tag.name")
        if any(x["name"] == name for x in group["tag"]):
            raise SandboxFault(err(40071, f"tag name exists: {name}"))
        tag = {"id": "et" + secrets.token_hex(12), "name": name, "create_time": now}
        tag.update(order=int((t or {}).get("order") or 0), deleted=False)
        group["tag"].append(tag)
        added.append(tag)
    return {**{k: v for k, v in group.items() if k != "tag"}, "tag": added}


@bp.post(P + "get_corp_tag_list")
def get_corp_tag_list():
    body = wecom_request("externalcontact/get_corp_tag_list")
    group_ids, tag_ids = set(body.get("group_id") or []), set(body.get("tag_id") or [])
    with state().lock:
        groups = []
        for group in state().data["corp_tags"].values():
            if group_ids and group["group_id"] not in group_ids:
                continue
            tags = group["tag"]
            if not group_ids and tag_ids:
                tags = [t for t in tags if t["id"] in tag_ids]
                if not tags:
                    continue
            groups.append({**group, "tag": [dict(t) for t in tags]})
    return ok(tag_group=groups)


@bp.post(P + "add_corp_tag")
def add_corp_tag():
    body = wecom_request("externalcontact/add_corp_tag")
    with state().lock:
        group = add_tags(state(), body)
    return ok(tag_group=group)


def edit(st: SandboxState, body: dict) -> dict:
    """``edit_corp_tag`` (lock held): the renamed tag or group."""
    target_id = str(body.get("id") or "")
    group = st.data["corp_tags"].get(target_id)
    found = None if group else _find_tag(st, target_id)
    if group is None and found is None:
        raise SandboxFault(err(40068, "invalid id"))
    item = group if group is not None else found[1]  # type: ignore[index]
    if "name" in body:
        key = "group_name" if group is not None else "name"
        item[key] = _name(body.get("name"), "name")
    if body.get("order") is not None:
        item["order"] = int(body["order"])
    return item


@bp.post(P + "edit_corp_tag")
def edit_corp_tag():
    guard("externalcontact/edit_corp_tag", "wecom")
    with state().lock:
        edit(state(), json_body())
    return ok()


def delete(st: SandboxState, tag_ids: list, group_ids: list) -> None:
    """``del_corp_tag`` (lock held)."""
    if not tag_ids and not group_ids:
        raise SandboxFault(err(40058, "tag_id or group_id is required"))
    groups = st.data["corp_tags"]
    for group_id in group_ids:
        if str(group_id) not in groups:
            raise SandboxFault(err(40068, "invalid group_id"))
    for tag_id in tag_ids:
        if _find_tag(st, str(tag_id)) is None and not any(str(g) in groups for g in group_ids):
            raise SandboxFault(err(40068, "invalid tag_id"))
    for group_id in group_ids:
        groups.pop(str(group_id), None)
    for group in list(groups.values()):
        group["tag"] = [t for t in group["tag"] if t["id"] not in set(map(str, tag_ids))]
        if not group["tag"]:
            groups.pop(group["group_id"])


@bp.post(P + "del_corp_tag")
def del_corp_tag():
    body = wecom_request("externalcontact/del_corp_tag")
    with state().lock:
        delete(state(), list(body.get("tag_id") or []), list(body.get("group_id") or []))
    return ok()


@bp.post(P + "mark_tag")
def mark_tag():
    body = wecom_request("externalcontact/mark_tag")
    add, remove = list(body.get("add_tag") or []), list(body.get("remove_tag") or [])
    if not add and not remove:
        return err(40058, "add_tag and remove_tag cannot both be empty")
    userid, external = str(body.get("userid") or ""), str(body.get("external_userid") or "")
    st = state()
    with st.lock:
        if not is_customer_of(st, userid, external):
            return err(40096, "external_userid is not a customer of userid")
        for tag_id in add + remove:
            if _find_tag(st, str(tag_id)) is None:
                return err(40068, f"invalid tag id {tag_id}")
        key = f"{userid}|{external}"
        marked = [t for t in st.data["contact_tags"].get(key, []) if t not in remove]
        marked += [t for t in add if t not in marked]
        if len(marked) > MAX_TAGS_PER_CUSTOMER:
            return err(45009, "at most 3000 tags per customer of a member")
        st.data["contact_tags"][key] = marked
    return ok()


@bp.post("/control/tags")
def admin_edits_tags():
    """An admin edits the library in WeCom: ``{"action": "create" | "update" | "delete",
    ...}`` with add / edit / delete's body; fires ``change_external_tag``."""
    from app.wechat.sandbox.delivery import fire_wecom_event

    body = request.get_json(silent=True) or {}
    action = body.get("action")
    st = state()
    try:
        with st.lock:
            if action == "create":
                group = add_tags(st, body)
                target, kind = group["tag"][0]["id"], "tag"
            elif action == "update":
                edit(st, body)
                target = str(body["id"])
                kind = "tag_group" if target in st.data["corp_tags"] else "tag"
            elif action == "delete":
                delete(st, list(body.get("tag_id") or []), list(body.get("group_id") or []))
                target = str((body.get("tag_id") or body.get("group_id") or [""])[0])
                kind = "tag" if body.get("tag_id") else "tag_group"
            else:
                return envelope(422, errors={"action": ["create, update or delete"]})
    except SandboxFault as exc:
        return exc.response
    event = {"Event": "change_external_tag", "ChangeType": action, "Id": target, "TagType": kind}
    return jsonify({"id": target, "callback": fire_wecom_event(st, event)})


@bp.post("/control/follows")
def add_follow():
    """``{"userid", "external_userid"}``: make the customer a customer of the member."""
    body = request.get_json(silent=True) or {}
    if not body.get("userid") or not body.get("external_userid"):
        return envelope(422, errors={"userid": ["userid and external_userid are required"]})
    st = state()
    with st.lock:
        st.data["follows"][f"{body['userid']}|{body['external_userid']}"] = {"at": st.now()}
    return jsonify(body)
