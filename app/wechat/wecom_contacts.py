"""WeCom customer-contact calls (客户联系): external contacts, 联系我 ways, welcome messages.

wechatpy 1.8.18 has no ``batch/get_by_user``, ``add_contact_way`` or the current
``send_welcome_msg``, so each is one ``client.post`` here. WeCom's documented limits:

- ``externalcontact/batch/get_by_user``: ``userid_list`` at most 100 userids, ``limit``
  at most 100 (default 50), paged by ``cursor`` / ``next_cursor``;
- ``externalcontact/get``: 84061 "not external contact" when no member follows the contact;
- ``externalcontact/add_contact_way``: ``type`` 1 single / 2 multi, ``scene`` 1
  mini-program / 2 QR code, ``state`` and ``remark`` at most 30 characters, ``user`` one
  userid for type 1; at most 500,000 contact ways per corp through the API;
- ``externalcontact/update_contact_way``: ``config_id`` of a way made through the API,
  ``user`` replaces its members (exactly one for a single-person way), ``remark`` and
  ``state`` at most 30 characters;
- ``externalcontact/send_welcome_msg``: only within 20 seconds of the add event that gave
  the ``welcome_code``, and only once; 41051 means it was already delivered, 41096 that
  another application is sending it (may be retried), 41050 that the code is unknown or
  past its 20 seconds;
- an unknown or deleted ``config_id`` answers 41044 (无效的「联系我」config_id参数).
"""

from __future__ import annotations

from typing import Any

from app.wechat.clients import wecom_client
from app.wechat.errors import translate_errors

BATCH_USERIDS = 100  # userid_list per batch/get_by_user call
BATCH_LIMIT = 100  # contacts per batch/get_by_user page
STATE_MAX = 30  # add_contact_way state (and remark): at most 30 characters
WELCOME_SECONDS = 20  # send_welcome_msg: within 20 s of the event
WELCOME_DELIVERED = 41051  # externaluser has started chatting: already delivered
WELCOME_BUSY = 41096  # welcome msg is being distributed by another application
NOT_EXTERNAL_CONTACT = 84061
INVALID_CONFIG_ID = 41044  # 无效的「联系我」config_id参数 (unknown or deleted way)
WELCOME_CODE_INVALID = 41050  # 无效的欢迎语code: unknown, or past its 20 seconds


def _call(api: str, body: dict | None = None, query: dict | None = None, client=None) -> dict:
    """POST ``body`` (or GET ``query``) to ``api``; WeChat's failures as ``WeChatError``."""
    client = client or wecom_client()
    with translate_errors(api):
        return client.get(api, params=query) if query is not None else client.post(api, data=body)


def batch_get_by_user(
    userids: list[str], cursor: str | None = None, limit: int = BATCH_LIMIT, client=None
) -> dict:
    """One page of the contacts of ``userids``: ``{"external_contact_list", "next_cursor"}``."""
    if not userids or len(userids) > BATCH_USERIDS:
        raise ValueError(f"userid_list takes 1..{BATCH_USERIDS} userids")
    if not 1 <= limit <= BATCH_LIMIT:
        raise ValueError(f"limit is 1..{BATCH_LIMIT}")
    data: dict[str, Any] = {"userid_list": list(userids), "limit": limit}
    if cursor:
        data["cursor"] = cursor
    return _call("externalcontact/batch/get_by_user", data, client=client)


def get_contact(external_userid: str, client=None) -> dict:
    """One contact: ``{"external_contact": {...}, "follow_user": [...]}``."""
    return _call("externalcontact/get", query={"external_userid": external_userid}, client=client)


def add_contact_way(
    userids: list[str],
    state: str,
    remark: str = "",
    scene: int = 2,
    client=None,
    *,
    multi: bool | None = None,
) -> dict:
    """A 联系我 QR code (single-person for one userid, multi-person for more, or
    multi-person whatever the count with ``multi=True``: a way whose members will change,
    since a single-person way never takes a second one):
    ``{"config_id", "qr_code"}``."""
    if len(state) > STATE_MAX or len(remark) > STATE_MAX:
        raise ValueError(f"state and remark are at most {STATE_MAX} characters")
    if not userids:
        raise ValueError("a contact way needs at least one userid")
    body = {
        "type": 2 if multi or (multi is None and len(userids) > 1) else 1,
        "scene": scene,
        "remark": remark,
        "skip_verify": True,
        "state": state,
        "user": list(userids),
    }
    return _call("externalcontact/add_contact_way", body, client=client)


def get_contact_way(config_id: str, client=None) -> dict:
    """The contact way as WeCom keeps it (``contact_way``)."""
    answer = _call("externalcontact/get_contact_way", {"config_id": config_id}, client=client)
    return answer["contact_way"]


def update_contact_way(
    config_id: str, userids: list[str], remark: str | None = None, client=None
) -> None:
    """Replace the members of a contact way (``update_contact_way``): a customer scanning
    its code afterwards reaches only these. A single-person way takes exactly one."""
    if not userids:
        raise ValueError("a contact way needs at least one userid")
    body: dict[str, Any] = {"config_id": config_id, "user": list(userids)}
    if remark is not None:
        if len(remark) > STATE_MAX:
            raise ValueError(f"remark is at most {STATE_MAX} characters")
        body["remark"] = remark
    _call("externalcontact/update_contact_way", body, client=client)


def del_contact_way(config_id: str, client=None) -> None:
    """Delete a contact way (its QR code stops working)."""
    _call("externalcontact/del_contact_way", {"config_id": config_id}, client=client)


def send_welcome_msg(welcome_code: str, text: str, client=None) -> None:
    """Send the welcome message of a new contact through the member who was added."""
    body = {"welcome_code": welcome_code, "text": {"content": text}}
    _call("externalcontact/send_welcome_msg", body, client=client)
