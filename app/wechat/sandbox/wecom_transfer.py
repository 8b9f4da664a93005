"""Sandbox WeCom hand-over (在职继承 / 离职继承) of customers and customer groups.

Rules as documented (分配在职 / 离职成员的客户, 查询客户接替状态, 分配离职成员的客户群,
分配在职成员的客户群):

- ``transfer_customer`` / ``resigned/transfer_customer``: at most 100 ``external_userid``
  a call (40058); for ``resigned/`` the handover member must have left the corp (40097
  该成员尚未离职), for the on-job call must not have (40003 无效的UserID: a departed
  member's userid leaves the directory); each customer answers its own errcode — 0 the
  hand-over started (the customer has 24 hours, then the takeover is automatic), 40096
  不合法的外部联系人userid when not a customer of the handover member, 40129 当前客户正在
  转接中 while a hand-over waits, and for the on-job call 40128 客户转接过于频繁 (90个自然日
  内,在职成员的每位客户仅可被转接2次).
- ``transfer_result`` / ``resigned/transfer_result``: ``status`` 1 taken over, 2 waiting
  (``takeover_time`` the future automatic time), 3 refused, 4 the takeover member's
  customer limit; pages of at most 1,000 (``next_cursor``).
- ``groupchat/transfer`` (the owner must have left: 90500 "the owner of this chat is not
  resigned") and ``groupchat/onjob_transfer`` (2 times per group in 90 days); 1..100
  chats a call (40058); unknown 40050, dismissed 49008; at most 300 groups a day to one
  new owner. The two group limits have no code in the 全局错误码 list nor on the call
  pages (the 905xx codes name other cases), so the sandbox answers 45009 接口调用超过限制
  in ``failed_chat_list`` for both. API changes fire no callback.

Controls: ``POST /_sandbox/control/transfers/decide`` ``{"external_userid",
"takeover_userid"?, "accept": bool, "limit"?: bool}`` — the customer accepts (the follow
moves, ``add_external_contact`` for the takeover and, on-job, ``del_external_contact``
with ``Source`` DELETE_BY_TRANSFER for the handover) or refuses (``transfer_fail`` with
``FailReason`` customer_refused, or customer_limit_exceed, to the takeover member); time
passing (``/control/clock``) makes a waiting hand-over taken over after 24 hours;
``POST /_sandbox/control/members/<userid>/resign`` marks a member as left.
"""

from __future__ import annotations

from flask import jsonify, request

from app.errors import envelope
from app.wechat.sandbox.blueprint import SandboxFault, bp, err, ok, state, wecom_request
from app.wechat.sandbox.state import SandboxState
from app.wechat.sandbox.wecom import cursor_of, next_cursor

P = "/qyapi/cgi-bin/externalcontact/"
MAX_CUSTOMERS = 100
MAX_CHATS = 100
WAIT_SECONDS = 24 * 3600
WINDOW_SECONDS = 90 * 86400
ONJOB_TIMES = 2
GROUPS_PER_DAY = 300
TAKEN, WAITING, REFUSED, LIMIT = 1, 2, 3, 4
NOT_RESIGNED = 40097  # 该成员尚未离职
TOO_FREQUENT = 40128  # 客户转接过于频繁(90个自然日内,在职成员的每位客户仅可被转接2次)


def _follows(st: SandboxState, external_userid: str) -> list[dict]:
    contact = st.data.setdefault("contacts", {}).get(external_userid)
    return contact["follow_user"] if contact else []


def _is_customer(st: SandboxState, userid: str, external_userid: str) -> bool:
    from app.wechat.sandbox.wecom_tags import is_customer_of

    return any(f["userid"] == userid for f in _follows(st, external_userid)) or is_customer_of(
        st, userid, external_userid
    )


def _move_follow(st: SandboxState, t: dict) -> list[dict]:
    """The customer is now the takeover's (lock held); returns the events to fire."""
    contact = st.data.setdefault("contacts", {}).get(t["external_userid"])
    events = []
    if contact is not None:
        old = next((f for f in contact["follow_user"] if f["userid"] == t["handover"]), None)
        kept = [
            f for f in contact["follow_user"] if f["userid"] not in (t["handover"], t["takeover"])
        ]
        new = dict(old or {"remark": "", "description": "", "tags": [], "add_way": 0})
        new.pop("state", None)  # the handover's 联系我 state does not come along
        new.update(userid=t["takeover"], createtime=int(st.now()))
        contact["follow_user"] = kept + [new]
    common = {"Event": "change_external_contact", "ExternalUserID": t["external_userid"]}
    events.append({**common, "ChangeType": "add_external_contact", "UserID": t["takeover"]})
    if not t["resigned"]:
        events.append(
            {
                **common,
                "ChangeType": "del_external_contact",
                "UserID": t["handover"],
                "Source": "DELETE_BY_TRANSFER",
            }
        )
    return events


def _lapse(st: SandboxState) -> list[dict]:
    """Hand-overs whose 24 hours have passed are taken over (lock held)."""
    events = []
    for t in st.data["transfers"]:
        if t["status"] == WAITING and t["takeover_time"] <= st.now():
            t["status"] = TAKEN
            events += _move_follow(st, t)
    return events


def _fire_all(st: SandboxState, events: list[dict]) -> list[dict]:
    from app.wechat.sandbox.delivery import fire_wecom_event

    return [fire_wecom_event(st, e) for e in events]


def _users(body: dict) -> tuple[str, str]:
    handover, takeover = (
        str(body.get("handover_userid") or ""),
        str(body.get("takeover_userid") or ""),
    )
    if not handover or not takeover:
        raise SandboxFault(err(40063, "handover_userid and takeover_userid are required"))
    return handover, takeover


def _transfer(resigned: bool):
    api = "externalcontact/" + ("resigned/" if resigned else "") + "transfer_customer"
    body = wecom_request(api)
    handover, takeover = _users(body)
    externals = body.get("external_userid") or []
    if not isinstance(externals, list) or not 1 <= len(externals) <= MAX_CUSTOMERS:
        return err(40058, f"external_userid holds 1..{MAX_CUSTOMERS} customers")
    st = state()
    with st.lock:
        if (handover in st.data["resigned"]) != resigned:
            if resigned:  # 40097 该成员尚未离职 (全局错误码)
                return err(NOT_RESIGNED, "handover_userid has not resigned")
            return err(40003, "invalid userid: the handover member has left the corp")
        results, now = [], st.now()
        for external in map(str, externals):
            mine = [t for t in st.data["transfers"] if t["external_userid"] == external]
            recent = [
                t for t in mine if not t["resigned"] and t["requested_at"] > now - WINDOW_SECONDS
            ]
            if not _is_customer(st, handover, external):
                code = 40096
            elif any(t["status"] == WAITING for t in mine):
                code = 40129
            elif not resigned and len(recent) >= ONJOB_TIMES:
                code = TOO_FREQUENT
            else:
                code = 0
                st.data["transfers"].append(
                    {
                        "external_userid": external,
                        "handover": handover,
                        "takeover": takeover,
                        "resigned": resigned,
                        "status": WAITING,
                        "requested_at": now,
                        "takeover_time": now + WAIT_SECONDS,
                    }
                )
            results.append({"external_userid": external, "errcode": code})
    return ok(customer=results)


@bp.post(P + "transfer_customer")
def transfer_customer():
    return _transfer(resigned=False)


@bp.post(P + "resigned/transfer_customer")
def resigned_transfer_customer():
    return _transfer(resigned=True)


def _result(resigned: bool):
    api = "externalcontact/" + ("resigned/" if resigned else "") + "transfer_result"
    body = wecom_request(api)
    handover, takeover = _users(body)
    st = state()
    with st.lock:
        events = _lapse(st)
        rows = [
            {
                "external_userid": t["external_userid"],
                "status": t["status"],
                "takeover_time": int(t["takeover_time"]) if t["status"] in (TAKEN, WAITING) else 0,
            }
            for t in st.data["transfers"]
            if (t["handover"], t["takeover"], t["resigned"]) == (handover, takeover, resigned)
        ]
    _fire_all(st, events)
    start = cursor_of(body.get("cursor"))
    return ok(customer=rows[start : start + 1000], next_cursor=next_cursor(start + 1000, len(rows)))


@bp.post(P + "transfer_result")
def transfer_result():
    return _result(resigned=False)


@bp.post(P + "resigned/transfer_result")
def resigned_transfer_result():
    return _result(resigned=True)


def _group_transfer(resigned: bool):
    api = "externalcontact/groupchat/" + ("transfer" if resigned else "onjob_transfer")
    body = wecom_request(api)
    chats, owner = body.get("chat_id_list") or [], str(body.get("new_owner") or "")
    if not isinstance(chats, list) or not 1 <= len(chats) <= MAX_CHATS or not owner:
        return err(40058, f"chat_id_list holds 1..{MAX_CHATS} groups and new_owner is required")
    st = state()
    failed = []
    with st.lock:
        now, day = st.now(), st.today()
        quota = st.data["group_transfers"].setdefault(f"{owner}|{day}", [])
        for chat_id in map(str, chats):
            group = st.data["groups"].get(chat_id)
            history = st.data["group_transfers"].setdefault(chat_id, [])
            if group is None:
                code, msg = 40050, "chatid not found"
            elif group.get("dismissed"):
                code, msg = 49008, "group chat dismissed"
            elif resigned and group["owner"] not in st.data["resigned"]:
                code, msg = 90500, "the owner of this chat is not resigned"
            elif (
                not resigned
                and len([t for t in history if t > now - WINDOW_SECONDS]) >= ONJOB_TIMES
            ):
                code, msg = 45009, "a group may be transferred 2 times in 90 days"
            elif len(quota) >= GROUPS_PER_DAY:
                code, msg = 45009, "300 groups a day to one new owner"
            else:
                group["owner"] = owner
                history.append(now)
                quota.append(chat_id)
                continue
            failed.append({"chat_id": chat_id, "errcode": code, "errmsg": msg})
    return ok(failed_chat_list=failed)


@bp.post(P + "groupchat/transfer")
def groupchat_transfer():
    return _group_transfer(resigned=True)


@bp.post(P + "groupchat/onjob_transfer")
def groupchat_onjob_transfer():
    return _group_transfer(resigned=False)


@bp.post("/control/transfers/decide")
def decide_transfer():
    """The customer accepts or refuses a waiting hand-over."""
    body = request.get_json(silent=True) or {}
    external, takeover = str(body.get("external_userid") or ""), body.get("takeover_userid")
    st = state()
    with st.lock:
        waiting = [
            t
            for t in st.data["transfers"]
            if t["external_userid"] == external
            and t["status"] == WAITING
            and (not takeover or t["takeover"] == takeover)
        ]
        if not waiting:
            return envelope(404, "No waiting hand-over of this customer in the sandbox.")
        t = waiting[0]
        if body.get("accept"):
            t["status"], t["takeover_time"] = TAKEN, st.now()
            events = _move_follow(st, t)
        else:
            t["status"] = LIMIT if body.get("limit") else REFUSED
            reason = "customer_limit_exceed" if body.get("limit") else "customer_refused"
            events = [
                {
                    "Event": "change_external_contact",
                    "ChangeType": "transfer_fail",
                    "UserID": t["takeover"],
                    "ExternalUserID": external,
                    "FailReason": reason,
                }
            ]
    return jsonify({"status": t["status"], "callbacks": _fire_all(st, events)})


@bp.post("/control/members/<userid>/resign")
def resign_member(userid: str):
    """A member leaves the corp (离职): their customers and groups await 离职继承."""
    st = state()
    with st.lock:
        if userid not in st.data["resigned"]:
            st.data["resigned"].append(userid)
    return jsonify({"userid": userid, "resigned": True})
