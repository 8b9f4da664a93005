"""Sandbox WeCom customer contacts (客户联系): external contacts, 联系我 ways, welcome
messages, the ``change_external_contact`` callbacks and the controls that stand in for
customers.

WeCom's rules it applies (客户联系 docs):

- ``batch/get_by_user``: ``userid_list`` 1..100 userids (40058 otherwise), ``limit`` at
  most 100 (a larger one is taken as 100, default 50), paged by an opaque cursor;
- ``get``: 84061 "not external contact" when no member follows the contact;
- 联系我 ways (add, get, update, delete) and their codes: ``wecom_contact_ways``; a scan
  (``add_through_way``) hands the contact to the way's members in turn;
- ``send_welcome_msg``: the ``welcome_code`` of an add event, within 20 s of the event and
  once: a second call answers 41051 (already delivered); a code past its 20 s or unknown
  answers 41050 无效的欢迎语code (全局错误码: 须在添加好友后20秒内使用).

Controls (``/_sandbox/control/contacts/...``): a customer adds a guide through a contact
way (fires ``add_external_contact`` with ``State`` and ``WelcomeCode``), a customer
deletes a guide (``del_follow_user``), a guide deletes a customer
(``del_external_contact``), seeding many contacts without callbacks (demo, benchmark).
"""

from __future__ import annotations

import hashlib
import secrets

from flask import jsonify, request

from app.errors import envelope
from app.wechat.sandbox.blueprint import (
    bp,
    control_body,
    err,
    guard,
    known_or_404,
    ok,
    state,
    wecom_request,
)
from app.wechat.sandbox.state import SandboxState
from app.wechat.sandbox.wecom import P, cursor_of, next_cursor

C = "/control/contacts"
STATE_MAX = 30
WELCOME_SECONDS = 20
BATCH_USERIDS = 100
BATCH_LIMIT = 100
ADD_WAY_QR = 1  # add_way: 扫描二维码
WELCOME_CODE_INVALID = 41050  # 无效的欢迎语code:须在添加好友后20秒内使用


def world(st: SandboxState) -> dict:
    """The contact part of the sandbox world (lock held or not: setdefault is atomic)."""
    data = st.data
    data.setdefault("contacts", {})  # external_userid -> {"external_contact", "follow_user"}
    data.setdefault("contact_ways", {})  # config_id -> way
    data.setdefault("welcome_codes", {})  # code -> {"issued_at", "used", "userid", ...}
    data.setdefault("welcome_messages", [])  # delivered welcome messages
    data.setdefault("by_user", {})  # userid -> external_userids it followed, in add order
    data.setdefault("by_unionid", {})  # unionid -> external_userid (one person, one contact)
    return data


def _unionid(external_userid: str) -> str:
    return "ou" + hashlib.md5(external_userid.encode()).hexdigest()[:26]


def new_contact(
    st: SandboxState, userid: str, name: str, *, unionid: str | None = None, state_: str = ""
) -> tuple[str, dict]:
    """Make a WeChat user a contact of ``userid`` (lock taken); returns ``(external_userid,
    follow)``. A ``unionid`` already known is the same person: the follow is added to
    that contact."""
    data = world(st)
    with st.lock:
        external_userid = data["by_unionid"].get(unionid) if unionid else None
        if external_userid is None:
            external_userid = st.next_id("wmSBX", 8)
            union = unionid or _unionid(external_userid)
            data["contacts"][external_userid] = {
                "external_contact": {
                    "external_userid": external_userid,
                    "name": name or external_userid,
                    "avatar": "",
                    "type": 1,
                    "gender": 0,
                    "unionid": union,
                },
                "follow_user": [],
            }
            data["by_unionid"][union] = external_userid
        contact = data["contacts"][external_userid]
        follows = [f for f in contact["follow_user"] if f["userid"] != userid]
        if len(follows) == len(contact["follow_user"]):
            data["by_user"].setdefault(userid, []).append(external_userid)
        follow: dict = {
            "userid": userid,
            "remark": "",
            "description": "",
            "createtime": int(st.now()),
            "tags": [],
            "add_way": ADD_WAY_QR,
            "oper_userid": external_userid,
        }
        if state_:
            follow["state"] = state_
        follows.append(follow)
        contact["follow_user"] = follows
    return external_userid, follow


def seed_contacts(st: SandboxState, userid: str, people: list[dict]) -> list[str]:
    """Contacts of ``userid`` without callbacks (demo, benchmark): ``[{"name", "unionid"?}]``."""
    return [
        new_contact(st, userid, p.get("name") or "", unionid=p.get("unionid"))[0] for p in people
    ]


def _fire(st: SandboxState, fields: dict) -> dict:
    from app.wechat.sandbox.delivery import fire_wecom_event

    event = {"Event": "change_external_contact"}
    event.update(fields)
    return fire_wecom_event(st, event)


def add_through_way(st: SandboxState, config_id: str, name: str, unionid: str | None) -> dict:
    """A customer scans the contact way's QR code: the contact is added and WeCom fires
    ``add_external_contact`` with the way's state and a welcome code (valid 20 s)."""
    data = world(st)
    with st.lock:
        way = data["contact_ways"].get(config_id)
        if way is None or way.get("deleted"):
            raise KeyError(config_id)
        # a multi-person way hands each new contact to the next of its members in turn
        way["adds"] = int(way.get("adds") or 0) + 1
        userid = way["user"][(way["adds"] - 1) % len(way["user"])]
        way_state = way.get("state") or ""
    external_userid, _ = new_contact(st, userid, name, unionid=unionid, state_=way_state)
    code = "WELCOME" + secrets.token_hex(12).upper()
    with st.lock:
        data["welcome_codes"][code] = {
            "issued_at": st.now(),
            "used": False,
            "userid": userid,
            "external_userid": external_userid,
        }
    fields = {
        "ChangeType": "add_external_contact",
        "UserID": userid,
        "ExternalUserID": external_userid,
        "WelcomeCode": code,
    }
    if way_state:
        fields["State"] = way_state
    callback = _fire(st, fields)
    return {
        "external_userid": external_userid,
        "userid": userid,
        "state": way_state,
        "welcome_code": code,
        "callback": callback,
    }


def customer_deletes_guide(st: SandboxState, external_userid: str, userid: str) -> dict:
    """The customer deletes the guide (``del_follow_user``); the guide still lists them."""
    with st.lock:
        contact = world(st)["contacts"].get(external_userid)
        if contact is None or not any(f["userid"] == userid for f in contact["follow_user"]):
            raise KeyError(external_userid)
    return _fire(
        st,
        {"ChangeType": "del_follow_user", "UserID": userid, "ExternalUserID": external_userid},
    )


def guide_deletes_customer(st: SandboxState, external_userid: str, userid: str) -> dict:
    """The guide deletes the customer (``del_external_contact``): the follow is gone."""
    with st.lock:
        contact = world(st)["contacts"].get(external_userid)
        if contact is None or not any(f["userid"] == userid for f in contact["follow_user"]):
            raise KeyError(external_userid)
        contact["follow_user"] = [f for f in contact["follow_user"] if f["userid"] != userid]
    return _fire(
        st,
        {
            "ChangeType": "del_external_contact",
            "UserID": userid,
            "ExternalUserID": external_userid,
            "Source": "DELETE_BY_USER",
        },
    )


# -- WeCom routes ------------------------------------------------------------------------


@bp.post(P + "externalcontact/batch/get_by_user")
def batch_get_by_user():
    body = wecom_request("externalcontact/batch/get_by_user")
    userids = body.get("userid_list")
    if (
        not isinstance(userids, list)
        or not 1 <= len(userids) <= BATCH_USERIDS
        or not all(isinstance(u, str) and u for u in userids)
    ):
        return err(40058, f"userid_list must hold 1..{BATCH_USERIDS} userids")
    limit = body.get("limit", 50)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        return err(40058, "invalid limit")
    limit = min(limit, BATCH_LIMIT)  # 超过最大值时取最大值
    st = state()
    start = cursor_of(body.get("cursor"))
    with st.lock:
        data = world(st)
        # the (userid, contact) pairs in a stable order: userids as listed, adds in order
        pairs = [(u, e) for u in dict.fromkeys(userids) for e in data["by_user"].get(u, ())]
        page = []
        for userid, external_userid in pairs[start : start + limit]:
            contact = data["contacts"][external_userid]
            follow = next((f for f in contact["follow_user"] if f["userid"] == userid), None)
            if follow is None:  # deleted by the member since: no longer listed
                continue
            info = {k: v for k, v in follow.items() if k != "tags"}
            page.append(
                {"external_contact": dict(contact["external_contact"]), "follow_info": info}
            )
            info["tag_id"] = []
    return ok(external_contact_list=page, next_cursor=next_cursor(start + limit, len(pairs)))


@bp.get(P + "externalcontact/get")
def get_contact():
    guard("externalcontact/get", "wecom")
    st = state()
    with st.lock:
        contact = world(st)["contacts"].get(request.args.get("external_userid") or "")
        if contact is None or not contact["follow_user"]:
            return err(84061, "not external contact")
        return ok(
            external_contact=dict(contact["external_contact"]),
            follow_user=[dict(f) for f in contact["follow_user"]],
        )


@bp.post(P + "externalcontact/send_welcome_msg")
def send_welcome_msg():
    body = wecom_request("externalcontact/send_welcome_msg")
    st = state()
    with st.lock:
        code = world(st)["welcome_codes"].get(str(body.get("welcome_code") or ""))
        if code is None:
            return err(WELCOME_CODE_INVALID, "invalid welcome_code")
        if code["used"]:
            return err(41051, "externaluser has started chatting")
        if st.now() - code["issued_at"] > WELCOME_SECONDS:
            return err(WELCOME_CODE_INVALID, "welcome_code expired")
        text = (body.get("text") or {}).get("content") or ""
        if not text and not body.get("attachments"):
            return err(40058, "text or attachments required")
        code["used"] = True
        world(st)["welcome_messages"].append(
            {
                "userid": code["userid"],
                "external_userid": code["external_userid"],
                "text": text,
                "at": st.now(),
            }
        )
    return ok()


# -- controls ----------------------------------------------------------------------------


@bp.post(C + "/add")
def control_add():
    """``{"config_id", "name", "unionid"?}``: a customer adds the way's guide."""
    body = control_body()
    config_id, name, unionid = body.get("config_id"), body.get("name"), body.get("unionid")
    errors = {}
    if not isinstance(config_id, str) or not config_id:
        errors["config_id"] = ["required"]
    if not isinstance(name, str) or not name or len(name) > 64:
        errors["name"] = ["required, at most 64 characters"]
    if unionid is not None and (not isinstance(unionid, str) or not 1 <= len(unionid) <= 64):
        errors["unionid"] = ["1 to 64 characters"]
    if errors:
        return envelope(422, errors=errors)
    with known_or_404("contact way"):
        result = add_through_way(state(), str(config_id), str(name), unionid)
    return jsonify(result), 201


def _delete(action):
    """Run ``action(state, external_userid, userid)`` for the body's pair: 422 when the
    body lacks one, 404 when the guide has no such contact."""
    body = control_body()
    external_userid, userid = body.get("external_userid"), body.get("userid")
    if not isinstance(external_userid, str) or not isinstance(userid, str):
        return envelope(422, errors={"external_userid": ["required"], "userid": ["required"]})
    with known_or_404("contact of that guide"):
        return jsonify({"callback": action(state(), external_userid, userid)})


@bp.post(C + "/delete-guide")
def control_customer_deletes_guide():
    """``{"external_userid", "userid"}``: the customer deletes the guide."""
    return _delete(customer_deletes_guide)


@bp.post(C + "/delete-customer")
def control_guide_deletes_customer():
    """``{"external_userid", "userid"}``: the guide deletes the customer."""
    return _delete(guide_deletes_customer)


@bp.get(C + "/welcomes")
def control_welcomes():
    """The welcome messages WeCom delivered."""
    with state().lock:
        return jsonify({"welcome_messages": list(world(state())["welcome_messages"])})
