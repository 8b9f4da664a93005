"""Sandbox WeCom temporary media (``/_sandbox/qyapi/cgi-bin/media/upload``).

The rules are WeCom's, from its server API doc 上传临时素材 (素材管理) and the 全局错误码
list:

- ``type`` is one of image, voice, video, file; anything else is 40005 不合法的type参数;
- every file is larger than 5 bytes; image ≤ 10 MB JPG/PNG, voice ≤ 2 MB AMR, video
  ≤ 10 MB MP4, file ≤ 20 MB (上传的媒体文件限制);
- a file that does not meet its type's format is 40004 不合法的媒体文件类型 (不满足系统文件
  要求), a voice file that is not AMR is 301017 上传语音文件仅支持AMR格式;
- a size outside its type's range is 40009 上传图片大小不是有效值 (image), 40011 上传视频
  大小不是有效值 (video), 301016 上传语音文件不符合系统要求 (voice), 40006 不合法的文件大小
  (file);
- no file part or an empty one is 44001 多媒体文件为空;
- the media_id is valid for three days (media_id仅三天内有效), on the sandbox clock.

``media_valid`` / ``media_type`` let ``add_msg_template`` refuse an expired or unknown
media id, or one of another type, with 40007 不合法的media_id参数.
"""

from __future__ import annotations

import hashlib

from flask import request

from app.wechat.sandbox.blueprint import bp, err, guard, ok, state
from app.wechat.sandbox.state import SandboxState

P = "/qyapi/cgi-bin/"
MEDIA_TTL = 3 * 86400  # temporary media live 3 days
MB = 1024 * 1024
MIN_BYTES = 6  # 所有文件size必须大于5个字节
MAX_BYTES = {"image": 10 * MB, "voice": 2 * MB, "video": 10 * MB, "file": 20 * MB}
MAX_IMAGE_BYTES = MAX_BYTES["image"]
SIZE_ERRCODE = {"image": 40009, "video": 40011, "voice": 301016, "file": 40006}
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


def image_format(data: bytes) -> str | None:
    """``png`` / ``jpg`` from the file's first bytes, None for anything else."""
    return next((fmt for magic, fmt in IMAGE_MAGIC.items() if data.startswith(magic)), None)


def media_format(media_type: str, data: bytes) -> str | None:
    """The file's format when it is one its type accepts (by content), else None."""
    if media_type == "image":
        return image_format(data)
    if media_type == "voice":
        return "amr" if data.startswith(b"#!AMR") else None
    if media_type == "video":  # an ISO base media file: a 'ftyp' box first
        return "mp4" if data[4:8] == b"ftyp" else None
    return "file"


def check_media(media_type: str, data: bytes) -> tuple[int, str] | None:
    """WeCom's ``(errcode, errmsg)`` for a file that breaks its type's rules, else None."""
    if media_type not in MAX_BYTES:
        return 40005, "type must be image, voice, video or file"
    if not data:
        return 44001, "empty media data"
    if not MIN_BYTES <= len(data) <= MAX_BYTES[media_type]:
        limit = MAX_BYTES[media_type] // MB
        return SIZE_ERRCODE[media_type], f"{media_type} must be 6 B to {limit} MB"
    if media_format(media_type, data) is None:
        if media_type == "voice":
            return 301017, "voice must be AMR"
        return 40004, {"image": "image must be JPG or PNG", "video": "video must be MP4"}[
            media_type
        ]
    return None


@bp.post(P + "media/upload")
def media_upload():
    """Temporary media of any of WeCom's four types, valid 3 days (sandbox clock)."""
    guard("media/upload", "wecom")
    request.max_content_length = 2 * MAX_BYTES["file"]  # answer WeCom's code, not HTTP 413
    media_type = request.args.get("type") or ""
    if media_type not in MAX_BYTES:
        return err(40005, "type must be image, voice, video or file")
    upload = request.files.get("media")
    data = upload.read(MAX_BYTES[media_type] + 1) if upload is not None else b""
    problem = check_media(media_type, data)
    if problem:
        return err(*problem)
    assert upload is not None  # check_media refuses empty data
    st = state()
    media_id = st.next_id("mediaSBX", 12)
    now = int(st.now())
    with st.lock:
        st.data["media"][media_id] = {
            "type": media_type,
            "filename": upload.filename or "",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "created_at": now,
            "expires_at": now + MEDIA_TTL,
        }
    return ok(type=media_type, media_id=media_id, created_at=str(now))


def media_type(st: SandboxState, media_id: str) -> str | None:
    """The type of an uploaded media id that has not expired (sandbox clock), else None."""
    with st.lock:
        media = st.data["media"].get(media_id)
    if not media or media["expires_at"] <= st.now():
        return None
    return media["type"]


def media_valid(st: SandboxState, media_id: str) -> bool:
    """Whether ``media_id`` was uploaded and has not expired (sandbox clock)."""
    return media_type(st, media_id) is not None
