"""WeCom's member directory (通讯录) as Siyu reads it: departments and their members.

Which calls (通讯录管理 docs, after WeCom's 2022 security changes):

- ``department/list`` and ``user/list?department_id=`` with the self-built app's token
  (wechatpy's ``client.department.get`` and ``client.user.list``). A self-built app reads
  the departments and members inside its visible range (可见范围), names included; since
  2022-06-20 a new self-built app no longer gets mobile, email, avatar, gender or address
  (none are needed here). ``user/list`` no longer honours ``fetch_child``: each
  department is read on its own.
- Not used: ``user/list_id`` / ``department/simplelist`` answer only the 通讯录同步
  secret (and, since 2022-08-15, not from a new IP for ``user/list``) and carry no names;
  ``user/simplelist`` carries no ``status``.

Errors: 60003 部门不存在 for an unknown department, 60011 when the app may not see it.
"""

from __future__ import annotations

from app.wechat.clients import wecom_client
from app.wechat.errors import translate_errors

ACTIVATED, DISABLED, INACTIVE, LEFT = 1, 2, 4, 5  # user/list ``status``


def departments(client=None) -> list[dict]:
    """Every department the app may see: ``[{"id", "name", "parentid", "order"}]``."""
    client = client or wecom_client()
    with translate_errors("department/list"):
        return list(client.department.get())


def department_members(department_id: int, client=None) -> list[dict]:
    """The members directly in one department (``user/list``): ``userid``, ``name``,
    ``department``, ``main_department``, ``status``."""
    client = client or wecom_client()
    with translate_errors("user/list"):
        return list(client.user.list(department_id, fetch_child=False, simple=False))
