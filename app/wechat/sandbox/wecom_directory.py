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

The directory is seeded by the demo (``seed_directory``) or a test through
``POST /_sandbox/control/directory`` ``{"departments": [...], "members": [...]}``; a
member resigned through ``/_sandbox/control/members/<userid>/resign`` reads as status 5.
"""

from __future__ import annotations

from flask import jsonify, request

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
    with st.lock:
        data = directory(st)
        for d in departments:
            dept_id = int(d["id"])
            data["departments"][str(dept_id)] = {
                "id": dept_id,
                "name": str(d["name"]),
                "parentid": int(d.get("parentid") or ROOT) if dept_id != ROOT else 0,
                "order": int(d.get("order") or 0),
            }
        for m in members:
            depts = m.get("department") or [ROOT]
            depts = [int(x) for x in (depts if isinstance(depts, list) else [depts])]
            data["members"][str(m["userid"])] = {
                "userid": str(m["userid"]),
                "name": str(m.get("name") or m["userid"]),
                "department": depts,
                "main_department": depts[0],
                "status": int(m.get("status") or ACTIVATED),
            }
        return len(data["members"])


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
    """Seed departments and members (tests, the demo): answers the member count."""
    body = json_body()
    count = seed_directory(state(), body.get("departments") or [], body.get("members") or [])
    return jsonify({"members": count})
