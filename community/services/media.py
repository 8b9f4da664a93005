"""Images in WeCom temporary media, kept fresh for as long as a post is sent.

WeCom forgets a temporary ``media_id`` 3 days after ``media/upload``, while a push plan
may send the same post for months. ``remember_upload`` keeps each uploaded file
(``ContentMedia``, by SHA-256); before a send, ``refresh_attachments`` uploads again every
image whose upload is older than ``REFRESH_AFTER`` and rewrites the media id in the
post library, so the send carries an id WeCom still knows. WeCom is called with no
transaction open; a failed upload raises the WeChat error to the caller (the outbox
retries it).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, timedelta

from sqlalchemy import select, update

from app.clock import utcnow
from app.db import committing
from app.extensions import db
from app.wechat import wecom
from community.models import ContentMedia, ContentPost

REFRESH_AFTER = timedelta(days=2, hours=12)  # half a day before WeCom's 3 days


def remember_upload(filename: str, data: bytes, media_id: str) -> None:
    """Keep an uploaded image (no commit: the caller saves the post in the same commit)."""
    digest = hashlib.sha256(data).hexdigest()
    row = db.session.scalars(select(ContentMedia).where(ContentMedia.sha256 == digest)).first()
    if row is None:
        row = ContentMedia(sha256=digest, filename=filename[:128], data=data)
        db.session.add(row)
    row.media_id, row.uploaded_at = media_id, utcnow()


def _image_ids(attachments: list) -> list[str]:
    return [
        a["image"]["media_id"]
        for a in attachments
        if isinstance(a, dict)
        and a.get("msgtype") == "image"
        and (a.get("image") or {}).get("media_id")
    ]


def _renamed(attachments: list, renamed: dict[str, str]) -> list:
    out = []
    for a in attachments:
        media_id = (a.get("image") or {}).get("media_id") if a.get("msgtype") == "image" else None
        if media_id in renamed:
            a = {**a, "image": {**a["image"], "media_id": renamed[media_id]}}
        out.append(a)
    return out


def refresh_attachments(attachments: list, seen: dict[str, str] | None = None) -> list:
    """``attachments`` with every stale image uploaded again (commits per image).

    ``seen`` (old → new media id), when given, is applied first and collects this call's
    uploads: a caller sending many bodies made from one post before the first upload (the
    group-send batch handler) uploads each image once."""
    if seen and any(i in seen for i in _image_ids(attachments)):
        attachments = _renamed(attachments, seen)
    ids = _image_ids(attachments)
    if not ids:
        return attachments
    cutoff = utcnow() - REFRESH_AFTER
    stale = [
        (row.id, row.media_id, row.filename, row.data)
        for row in db.session.scalars(select(ContentMedia).where(ContentMedia.media_id.in_(ids)))
        if row.uploaded_at.astimezone(UTC) < cutoff
    ]
    db.session.commit()  # no transaction open while WeCom is called
    renamed: dict[str, str] = {}
    for row_id, old, filename, data in stale:
        new = wecom.upload_image(filename, data)
        renamed[old] = new
        with committing(db.session):
            db.session.execute(
                update(ContentMedia)
                .where(ContentMedia.id == row_id)
                .values(media_id=new, uploaded_at=utcnow())
            )
            for post in db.session.scalars(select(ContentPost)):
                if old in _image_ids(post.attachments or []):
                    post.attachments = _renamed(post.attachments, {old: new})
    if seen is not None:
        seen.update(renamed)
    return _renamed(attachments, renamed) if renamed else attachments
