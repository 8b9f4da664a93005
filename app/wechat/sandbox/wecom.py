"""Sandbox WeCom (``/_sandbox/qyapi/cgi-bin/...``): token, customer groups, group sends.

Rules enforced as WeCom does (DESIGN.md table): ``add_msg_template`` limits, tasks that
wait for the sender's confirmation, one group message per group per Asia/Shanghai day
(``WECOM_GROUP_DAILY_QUOTA``) applied at confirmation, reminders ≤ 3 per msgid in 24 h.
The python API used by control endpoints and the demo seeder (``create_groups``,
``confirm_task`` ...) lives in ``wecom_groups``.
"""

from __future__ import annotations

import base64
import hashlib

from flask import request

from app.wechat.sandbox.blueprint import SandboxFault, bp, err, guard, json_body, ok, state
from app.wechat.sandbox.state import SandboxState

P = "/qyapi/cgi-bin/"


# -- routes ---------------------------------------------------------------------------
@bp.get(P + "gettoken")
def gettoken():
    cfg = state().config
    if request.args.get("corpid") != cfg["WECOM_CORP_ID"]:
        return err(40013, "invalid corpid")
    if request.args.get("corpsecret") != cfg["WECOM_SECRET"]:
        return err(40001, "invalid credential: corpsecret")
    token, ttl = state().issue_token("wecom")
    return ok(access_token=token, expires_in=ttl)


def _cursor(raw) -> int:
    if not raw:
        return 0
    try:
        return int(base64.urlsafe_b64decode(str(raw).encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise SandboxFault(err(40058, "invalid cursor")) from None


def _next_cursor(offset: int, total: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode() if offset < total else ""


def _limit(body: dict, default: int, maximum: int) -> int:
    limit = body.get("limit", default)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= maximum:
        raise SandboxFault(err(40058, f"limit must be 1..{maximum}"))
    return limit


@bp.post(P + "externalcontact/groupchat/list")
def groupchat_list():
    guard("externalcontact/groupchat/list", "wecom")
    body = json_body()
    limit = _limit(body, 100, 1000)
    status_filter = int(body.get("status_filter") or 0)
    owners = set((body.get("owner_filter") or {}).get("userid_list") or [])
    st = state()
    with st.lock:
        rows = sorted(st.data["groups"].values(), key=lambda g: (g["create_time"], g["chat_id"]))
        rows = [
            g
            for g in rows
            if (not owners or g["owner"] in owners)
            and (not status_filter or g["status"] == status_filter)
        ]
    start = _cursor(body.get("cursor"))
    page = rows[start : start + limit]
    return ok(
        group_chat_list=[{"chat_id": g["chat_id"], "status": g["status"]} for g in page],
        next_cursor=_next_cursor(start + limit, len(rows)),
    )


@bp.post(P + "externalcontact/groupchat/get")
def groupchat_get():
    guard("externalcontact/groupchat/get", "wecom")
    body = json_body()
    st = state()
    with st.lock:
        group = st.data["groups"].get(str(body.get("chat_id") or ""))
        if group is None:
            return err(40050)
        need_name = bool(body.get("need_name"))
        members = []
        for m in group["member_list"]:
            m = dict(m)
            if not need_name:
                m.pop("name", None)
            members.append(m)
        version = hashlib.md5(",".join(sorted(m["userid"] for m in members)).encode()).hexdigest()
        detail = {k: group[k] for k in ("chat_id", "name", "owner", "create_time", "notice")}
        detail.update(
            member_list=members, admin_list=list(group["admin_list"]), member_version=version
        )
    return ok(group_chat=detail)


@bp.post(P + "externalcontact/add_msg_template")
def add_msg_template():
    guard("externalcontact/add_msg_template", "wecom")
    body = json_body()
    chat_type = body.get("chat_type") or "single"
    sender = body.get("sender")
    if chat_type not in ("single", "group"):
        return err(40058, "chat_type must be single or group")
    if chat_type == "group" and not sender:
        return err(41048, "sender is required for chat_type group")
    text = (body.get("text") or {}).get("content") or ""
    attachments = body.get("attachments") or []
    if len(text.encode("utf-8")) > 4000:
        return err(40058, "text.content exceeds 4000 bytes")
    if not isinstance(attachments, list) or len(attachments) > 9:
        return err(40058, "at most 9 attachments")
    if not text and not attachments:
        return err(40058, "text or attachments required")
    st = state()
    images = [
        a["image"]["media_id"] for a in attachments if _is_image(a) and a["image"].get("media_id")
    ]
    if any(not media_valid(st, m) for m in images):  # WeCom forgot a temporary media id
        return err(40007, "invalid media_id")
    if chat_type == "single":
        targets = list(body.get("external_userid") or [])
        fail_list: list[str] = []
    else:
        chat_ids = body.get("chat_id_list") or []
        if not isinstance(chat_ids, list) or len(chat_ids) > 2000:
            return err(40058, "chat_id_list holds at most 2000 chat ids")
        with st.lock:
            groups = st.data["groups"]
            if not chat_ids:
                chat_ids = [c for c, g in groups.items() if g["owner"] == sender]
            targets = [c for c in chat_ids if c in groups and groups[c]["owner"] == sender]
            fail_list = [c for c in chat_ids if c not in targets]
    msgid = st.next_id("msgSBX", 10)
    with st.lock:
        st.data["tasks"][msgid] = {
            "msgid": msgid,
            "chat_type": chat_type,
            "sender": sender or "",
            "text": text,
            "attachments": attachments,
            "create_time": int(st.now()),
            "status": "pending",
            "send_time": 0,
            "reminders": [],
            "results": {t: {"status": 0, "send_time": 0} for t in targets},
        }
    return ok(fail_list=fail_list, msgid=msgid)


def _is_image(attachment) -> bool:
    return (
        isinstance(attachment, dict)
        and attachment.get("msgtype") == "image"
        and isinstance(attachment.get("image"), dict)
    )


def _task(body: dict) -> dict:
    task = state().data["tasks"].get(str(body.get("msgid") or ""))
    if task is None:
        raise SandboxFault(err(40058, "invalid msgid"))
    return task


@bp.post(P + "externalcontact/get_groupmsg_task")
def get_groupmsg_task():
    guard("externalcontact/get_groupmsg_task", "wecom")
    body = json_body()
    _limit(body, 500, 1000)
    with state().lock:
        task = _task(body)
        row = {
            "userid": task["sender"],
            "status": 2 if task["status"] == "sent" else 0,
            "send_time": task["send_time"],
        }
    return ok(next_cursor="", task_list=[row])


@bp.post(P + "externalcontact/get_groupmsg_send_result")
def get_groupmsg_send_result():
    guard("externalcontact/get_groupmsg_send_result", "wecom")
    body = json_body()
    limit = _limit(body, 500, 1000)
    with state().lock:
        task = _task(body)
        rows = []
        if not body.get("userid") or body.get("userid") == task["sender"]:
            for target, result in sorted(task["results"].items()):
                key = "chat_id" if task["chat_type"] == "group" else "external_userid"
                rows.append({key: target, "userid": task["sender"], **result})
    start = _cursor(body.get("cursor"))
    return ok(
        next_cursor=_next_cursor(start + limit, len(rows)), send_list=rows[start : start + limit]
    )


@bp.post(P + "externalcontact/remind_groupmsg_send")
def remind_groupmsg_send():
    guard("externalcontact/remind_groupmsg_send", "wecom")
    body = json_body()
    st = state()
    with st.lock:
        task = _task(body)
        now = st.now()
        recent = [t for t in task["reminders"] if t > now - 86400]
        if len(recent) >= 3:
            return err(41095)
        task["reminders"] = recent + [now]
    return ok()


MEDIA_TTL = 3 * 86400  # temporary media live 3 days
MAX_IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


def image_format(data: bytes) -> str | None:
    """``png`` / ``jpg`` from the file's first bytes, None for anything else."""
    return next((fmt for magic, fmt in IMAGE_MAGIC.items() if data.startswith(magic)), None)


@bp.post(P + "media/upload")
def media_upload():
    """Temporary media, images only (JPG/PNG, 5 B .. 10 MB), valid 3 days (sandbox clock)."""
    guard("media/upload", "wecom")
    request.max_content_length = 2 * MAX_IMAGE_BYTES  # answer 40009, not HTTP 413
    if request.args.get("type") != "image":
        return err(40004, "the sandbox accepts type=image only")
    upload = request.files.get("media")
    if upload is None:
        return err(41005)
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if not data:
        return err(44001)
    if len(data) > MAX_IMAGE_BYTES or len(data) < 5:
        return err(40009, "image must be 5 B to 10 MB")
    if image_format(data) is None:
        return err(40005, "image must be JPG or PNG")
    st = state()
    media_id = st.next_id("mediaSBX", 12)
    now = int(st.now())
    with st.lock:
        st.data["media"][media_id] = {
            "type": "image",
            "filename": upload.filename or "",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "created_at": now,
            "expires_at": now + MEDIA_TTL,
        }
    return ok(type="image", media_id=media_id, created_at=str(now))


def media_valid(st: SandboxState, media_id: str) -> bool:
    """Whether ``media_id`` was uploaded and has not expired (sandbox clock)."""
    with st.lock:
        media = st.data["media"].get(media_id)
    return bool(media) and media["expires_at"] > st.now()
