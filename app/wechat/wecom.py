"""WeCom calls Siyu makes, including those wechatpy 1.8.18 lacks (one ``client.post`` each).

Every function takes an optional ``client`` (default ``wecom_client()``), returns the
useful part of WeChat's answer and raises ``app.wechat.errors.WeChatError`` subclasses.
"""

from __future__ import annotations

from typing import Any

from app.wechat.clients import wecom_client
from app.wechat.errors import WeChatAPIError, translate_errors

MAX_CHAT_IDS = 2000
MAX_TEXT_BYTES = 4000
MAX_ATTACHMENTS = 9


def wecom_post(api: str, data: dict, client=None) -> dict:
    """POST ``data`` to WeCom's ``api`` (the app's client unless one is given), its
    errors translated to the project's (``translate_errors``)."""
    client = client or wecom_client()
    with translate_errors(api):
        return client.post(api, data=data)


def _get(api: str, params: dict, client=None) -> dict:
    client = client or wecom_client()
    with translate_errors(api):
        return client.get(api, params=params)


def groupchat_get(chat_id: str, need_name: bool = True, client=None) -> dict:
    """Group details (``group_chat``: name, owner, member_list with names, admin_list)."""
    data = {"chat_id": chat_id, "need_name": 1 if need_name else 0}
    return wecom_post("externalcontact/groupchat/get", data, client)["group_chat"]


def groupchat_list_all(
    status_filter: int = 0, owner_userids: list[str] | None = None, limit: int = 1000, client=None
) -> list[dict]:
    """Every customer group ``{"chat_id", "status"}``, following ``next_cursor``."""
    client = client or wecom_client()
    rows: list[dict] = []
    cursor = None
    while True:
        data: dict[str, Any] = {"status_filter": status_filter, "limit": limit}
        if cursor:
            data["cursor"] = cursor
        if owner_userids:
            data["owner_filter"] = {"userid_list": list(owner_userids)}
        page = wecom_post("externalcontact/groupchat/list", data, client)
        rows.extend(page.get("group_chat_list") or [])
        cursor = page.get("next_cursor")
        if not cursor:
            return rows


def group_send_body(
    sender: str, chat_ids: list[str], text: str = "", attachments: list[dict] | None = None
) -> dict:
    """The ``add_msg_template`` body for a group send, checked against WeCom's limits."""
    attachments = list(attachments or [])
    if not sender:
        raise ValueError("a group send needs a sender (the group owner's userid)")
    if len(chat_ids) > MAX_CHAT_IDS:
        raise ValueError(f"at most {MAX_CHAT_IDS} chat ids per call")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ValueError(f"text is limited to {MAX_TEXT_BYTES} bytes (UTF-8)")
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValueError(f"at most {MAX_ATTACHMENTS} attachments")
    body: dict[str, Any] = {
        "chat_type": "group",
        "sender": sender,
        "chat_id_list": list(chat_ids),
        "attachments": attachments,
    }
    if text:
        body["text"] = {"content": text}
    return body


def add_msg_template(body: dict, client=None) -> dict:
    """Create a group-send task; returns ``{"msgid", "fail_list"}`` (the sender confirms)."""
    result = wecom_post("externalcontact/add_msg_template", body, client)
    if not result.get("msgid"):
        raise WeChatAPIError(
            "add_msg_template: no msgid in the answer", api="externalcontact/add_msg_template"
        )
    return {"msgid": result["msgid"], "fail_list": result.get("fail_list") or []}


def get_groupmsg_task(
    msgid: str, limit: int = 1000, cursor: str | None = None, client=None
) -> dict:
    """One page of ``task_list`` (sender, status 0 pending / 2 sent) and ``next_cursor``."""
    data = {"msgid": msgid, "limit": limit}
    if cursor:
        data["cursor"] = cursor
    return wecom_post("externalcontact/get_groupmsg_task", data, client)


def get_groupmsg_send_result(
    msgid: str, userid: str, limit: int = 1000, cursor: str | None = None, client=None
) -> dict:
    """One page of ``send_list`` (chat_id, status 0/1/2/3, send_time) and ``next_cursor``."""
    data = {"msgid": msgid, "userid": userid, "limit": limit}
    if cursor:
        data["cursor"] = cursor
    return wecom_post("externalcontact/get_groupmsg_send_result", data, client)


def get_groupmsg_list_v2_all(
    creator: str, start_time: int, end_time: int, chat_type: str = "group", client=None
) -> list[dict]:
    """Every enterprise-created group-send record of ``creator`` between the two epoch
    times (at most a month apart), following ``next_cursor`` (100 a page)."""
    client = client or wecom_client()
    rows: list[dict] = []
    cursor = None
    while True:
        data = {
            "chat_type": chat_type,
            "start_time": int(start_time),
            "end_time": int(end_time),
            "creator": creator,
            "filter_type": 0,
            "limit": 100,
        }
        if cursor:
            data["cursor"] = cursor
        page = wecom_post("externalcontact/get_groupmsg_list_v2", data, client)
        rows.extend(page.get("group_msg_list") or [])
        cursor = page.get("next_cursor")
        if not cursor:
            return rows


def get_groupmsg_send_result_all(msgid: str, userid: str, client=None) -> list[dict]:
    """Every ``send_list`` row of a task, following ``next_cursor``."""
    client = client or wecom_client()
    rows: list[dict] = []
    cursor = None
    while True:
        page = get_groupmsg_send_result(msgid, userid, cursor=cursor, client=client)
        rows.extend(page.get("send_list") or [])
        cursor = page.get("next_cursor")
        if not cursor:
            return rows


def task_results(msgid: str, sender: str, client=None) -> list[dict] | None:
    """None while the sender has not confirmed the task (``get_groupmsg_task`` status 0);
    once they sent it (status 2), every ``send_list`` row of ``get_groupmsg_send_result``
    (a group's ``chat_id`` or a customer's ``external_userid``, status 0/1/2/3)."""
    tasks = get_groupmsg_task(msgid, client=client).get("task_list") or []
    if not any(t.get("status") == 2 for t in tasks):
        return None
    return get_groupmsg_send_result_all(msgid, sender, client=client)


def remind_groupmsg_send(msgid: str, client=None) -> None:
    """Remind the sender to confirm (WeCom allows 3 reminders per msgid in 24 h)."""
    wecom_post("externalcontact/remind_groupmsg_send", {"msgid": msgid}, client)


def living_create(body: dict, client=None) -> str:
    """Create a live (``anchor_userid``, ``theme``, ``living_start``, ...); returns livingid."""
    return wecom_post("living/create", body, client)["livingid"]


def get_living_info(livingid: str, client=None) -> dict:
    """The ``living_info`` of a live this app created."""
    return _get("living/get_living_info", {"livingid": livingid}, client)["living_info"]


def get_watch_stat(livingid: str, next_key: str | None = None, client=None) -> dict:
    """One page of watch statistics: ``ending``, ``next_key``, ``stat_info``."""
    data = {"livingid": livingid}
    if next_key:
        data["next_key"] = next_key
    return wecom_post("living/get_watch_stat", data, client)


def get_watch_stat_all(livingid: str, client=None) -> dict:
    """All viewers ``{"users": [...], "external_users": [...]}``, paging until ``ending``."""
    client = client or wecom_client()
    users: list[dict] = []
    external: list[dict] = []
    next_key = None
    while True:
        page = get_watch_stat(livingid, next_key, client)
        stat = page.get("stat_info") or {}
        users.extend(stat.get("users") or [])
        external.extend(stat.get("external_users") or [])
        next_key = page.get("next_key")
        if page.get("ending") == 1 or not next_key:
            return {"users": users, "external_users": external}


MEDIA_MIME = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".amr": "voice/amr",
    ".mp4": "video/mp4",
}
MEDIA_TYPES = ("image", "voice", "video", "file")


def upload_media(media_type: str, filename: str, data: bytes, client=None) -> str:
    """Upload temporary WeCom media (``media/upload``: image ≤ 10 MB JPG/PNG, voice ≤ 2 MB
    AMR, video ≤ 10 MB MP4, file ≤ 20 MB; valid 3 days); returns the ``media_id``.
    wechatpy's ``client.media.upload`` follows the client's ``API_BASE_URL`` (the
    sandbox's in sandbox mode). WeCom's refusals (40004 the file does not meet its type,
    40005 a bad type, 40006 / 40009 / 40011 a bad size ...) raise ``WeChatAPIError``."""
    if media_type not in MEDIA_TYPES:
        raise ValueError(f"media type must be one of {', '.join(MEDIA_TYPES)}")
    client = client or wecom_client()
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    mime = MEDIA_MIME.get(suffix, "application/octet-stream")
    with translate_errors("media/upload"):
        result = client.media.upload(media_type, (filename, data, mime))
    if not result.get("media_id"):
        raise WeChatAPIError("media/upload: no media_id in the answer", api="media/upload")
    return result["media_id"]


def upload_image(filename: str, data: bytes, client=None) -> str:
    """Upload a JPG/PNG as temporary WeCom media (see ``upload_media``)."""
    return upload_media("image", filename, data, client)
