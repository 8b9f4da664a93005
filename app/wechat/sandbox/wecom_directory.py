"""Sandbox WeCom member directory (通讯录): departments and members as a self-built app reads them.

WeCom's rules it applies (通讯录管理 docs, with the 2022 security changes):

- ``department/list`` (``id`` optional: that department and all below it, else the whole
  tree the app may see): ``id``, ``name``, ``parentid``, ``order``; an unknown ``id``
  answers 60003 部门不存在;
- ``user/list?department_id=`` (读取部门成员详情): the members directly in that department
  (``fetch_child`` is no longer honoured: the docs say to walk the sub-departments), each
  with ``userid``, ``name``, ``department``, ``main_department`` and ``status`` (1
  activated, 2 disabled, 4 not activated, 5 left the corp). Since 2022-06-20 a new
  self-built app no longer gets mobile, email, avatar, gender or address, so none are
  returned; an unknown department answers 60003.
- ``user/simplelist`` and ``user/list_id`` are not emulated: the first carries no
  ``status``, the second only answers the 通讯录同步 secret and carries no names.

The directory is seeded by the demo (``seed_directory``, no callbacks) or changed by a
test through ``POST /_sandbox/control/directory`` ``{"departments": [...], "members":
[...], "remove": [userids], "remove_departments": [ids]}``, which fires WeCom's 通讯录变更
callbacks (``change_contact``: ``create_user`` / ``update_user`` with only the changed
fields / ``delete_user`` with the UserID only, ``create_party`` / ``update_party`` /
``delete_party``) to ``/wecom/callback``; a member resigned through
``/_sandbox/control/members/<userid>/resign`` reads as status 5.
"""

from __future__ import annotations

from flask import jsonify, request

from app.errors import envelope
from app.wechat.sandbox.blueprint import SandboxFault, bp, err, guard, json_body, ok, state
from app.wechat.sandbox.state import SandboxState
from app.wechat.sandbox.wecom import P

ROOT = 1  # WeCom's root department
ACTIVATED, DISABLED, INACTIVE, LEFT = 1, 2, 4, 5
DEPARTMENT_NOT_FOUND = 60003


def directory(st: SandboxState) -> dict:
    """The directory part of the sandbox world (``setdefault`` is atomic)."""
    data = st.data.setdefault("directory", {})
    data.setdefault("departments", {str(ROOT): {"id": ROOT, "name": "总部", "parentid": 0}})
    data.setdefault("members", {})  # userid -> member
    return data


def seed_directory(st: SandboxState, departments: list[dict], members: list[dict]) -> int:
    """Add or replace departments ``[{"id", "name", "parentid"?}]`` and members
    ``[{"userid", "name", "department": [ids] | id, "status"?}]``; returns the member count."""
    return change_directory(st, departments, members)[0]


def change_directory(
    st: SandboxState,
    departments: list[dict],
    members: list[dict],
    remove: list[str] = (),  # type: ignore[assignment]
    remove_departments: list[int] = (),  # type: ignore[assignment]
) -> tuple[int, list[dict]]:
    """Apply a change to the directory; returns the member count and the ``change_contact``
    events WeCom would send for it (parties before users, deletions last), each carrying
    only what its ChangeType carries: a changed member only its changed fields."""
    events: list[dict] = []
    with st.lock:
        data = directory(st)
        for d in departments:
            dept_id = int(d["id"])
            row = {
                "id": dept_id,
                "name": str(d["name"]),
                "parentid": int(d.get("parentid") or ROOT) if dept_id != ROOT else 0,
                "order": int(d.get("order") or 0),
            }
            old = data["departments"].get(str(dept_id))
            data["departments"][str(dept_id)] = row
            events += _party_event(old, row)
        for m in members:
            depts = m.get("department") or [ROOT]
            depts = [int(x) for x in (depts if isinstance(depts, list) else [depts])]
            row = {
                "userid": str(m["userid"]),
                "name": str(m.get("name") or m["userid"]),
                "department": depts,
                "main_department": depts[0],
                "status": int(m.get("status") or ACTIVATED),
            }
            old = data["members"].get(row["userid"])
            data["members"][row["userid"]] = row
            events += _user_event(old, row)
        for userid in remove:
            if data["members"].pop(str(userid), None) is not None:
                events.append({"ChangeType": "delete_user", "UserID": str(userid)})
        for dept_id in remove_departments:
            if data["departments"].pop(str(int(dept_id)), None) is not None:
                events.append({"ChangeType": "delete_party", "Id": int(dept_id)})
        count = len(data["members"])
    events.sort(key=lambda e: ("party" not in e["ChangeType"], e["ChangeType"] == "delete_user"))
    return count, [{"Event": "change_contact", **e} for e in events]


def _party_event(old: dict | None, row: dict) -> list[dict]:
    """create_party (Id, Name, ParentId, Order) or update_party (Id + what changed)."""
    fields = {"Name": row["name"], "ParentId": row["parentid"]}
    if old is None:
        return [{"ChangeType": "create_party", "Id": row["id"], **fields, "Order": row["order"]}]
    changed = {k: v for k, v in fields.items() if v != old[_PARTY_KEYS[k]]}
    return [{"ChangeType": "update_party", "Id": row["id"], **changed}] if changed else []


def _user_event(old: dict | None, row: dict) -> list[dict]:
    """create_user (every field Siyu reads) or update_user (UserID + what changed)."""
    fields = {
        "Name": row["name"],
        "Department": ",".join(str(d) for d in row["department"]),
        "MainDepartment": row["main_department"],
        "Status": row["status"],
    }
    if old is None:
        return [{"ChangeType": "create_user", "UserID": row["userid"], **fields}]
    before = {
        "Name": old["name"],
        "Department": ",".join(str(d) for d in old["department"]),
        "MainDepartment": old["main_department"],
        "Status": old["status"],
    }
    changed = {k: v for k, v in fields.items() if v != before[k]}
    return [{"ChangeType": "update_user", "UserID": row["userid"], **changed}] if changed else []


_PARTY_KEYS = {"Name": "name", "ParentId": "parentid"}


def _below(departments: dict, top: int) -> list[dict]:
    """``top`` and every department under it, parents first."""
    found, queue = [], [top]
    while queue:
        current = queue.pop(0)
        dept = departments.get(str(current))
        if dept is None:
            continue
        found.append(dict(dept))
        queue += sorted(
            d["id"] for d in departments.values() if d["parentid"] == current and d["id"] != top
        )
    return found


def _department_id(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise SandboxFault(err(DEPARTMENT_NOT_FOUND, "department not found")) from None


# -- WeCom routes ------------------------------------------------------------------------


@bp.get(P + "department/list")
def department_list():
    guard("department/list", "wecom")
    st = state()
    raw = request.args.get("id")
    with st.lock:
        departments = directory(st)["departments"]
        top = _department_id(raw) if raw not in (None, "") else ROOT
        if str(top) not in departments:
            return err(DEPARTMENT_NOT_FOUND, "department not found")
        return ok(department=_below(departments, top))


@bp.get(P + "user/list")
def user_list():
    guard("user/list", "wecom")
    st = state()
    dept = _department_id(request.args.get("department_id"))
    with st.lock:
        data = directory(st)
        if str(dept) not in data["departments"]:
            return err(DEPARTMENT_NOT_FOUND, "department not found")
        resigned = set(st.data.get("resigned") or ())
        users = []
        for member in data["members"].values():
            if dept not in member["department"]:
                continue
            user = dict(member)
            if member["userid"] in resigned:
                user["status"] = LEFT
            users.append(user)
    users.sort(key=lambda u: u["userid"])
    return ok(userlist=users)


# -- controls ----------------------------------------------------------------------------


@bp.post("/control/directory")
def control_directory():
    """Change the directory (tests, the demo): ``departments`` and ``members`` added or
    replaced, ``remove`` (userids) and ``remove_departments`` (ids) deleted. WeCom's
    ``change_contact`` callbacks are fired for each change unless ``"callbacks": false``
    (seeding); answers the member count and the callbacks' deliveries."""
    body = json_body()
    remove = body.get("remove") or []
    remove_departments = body.get("remove_departments") or []
    if not isinstance(remove, list) or not all(isinstance(u, str) for u in remove):
        return envelope(422, errors={"remove": ["a list of userids"]})
    try:
        dept_ids = [int(d) for d in remove_departments]
    except (TypeError, ValueError):
        return envelope(422, errors={"remove_departments": ["a list of department ids"]})
    st = state()
    count, events = change_directory(
        st, body.get("departments") or [], body.get("members") or [], remove, dept_ids
    )
    callbacks = []
    if body.get("callbacks", True) is not False:
        from app.wechat.sandbox.delivery import fire_wecom_event

        callbacks = [fire_wecom_event(st, event) for event in events]
    return jsonify({"members": count, "callbacks": callbacks})
