"""The content library: posts validated against WeCom's ``add_msg_template`` limits on save.

Attachments are stored in WeCom's own shape (``{"msgtype": "link", "link": {...}}``) so a
batch can send them as they are. Images: either a reference (``pic_url`` or an existing
``media_id``), or a JPG/PNG file (≤ 10 MB) uploaded to WeCom temporary media
(``media/upload``) by ``save_post_with_uploads``: the post is validated first, the files
are uploaded with no transaction open, then the post is saved with the ``media_id`` s.
WeCom keeps temporary media 3 days: the files are kept (``community.services.media``) and
uploaded again before a send when they are older.
"""

from __future__ import annotations

from flask import has_request_context
from marshmallow import ValidationError
from sqlalchemy import select

from app.auth.scope import scoped
from app.db import commit_or_rollback
from app.errors import DomainError, NotFound
from app.extensions import db
from app.i18n import tr
from app.validation_messages import flat_errors
from app.wechat import wecom
from app.wechat.errors import WeChatError
from community.models import COUPON, ContentPost
from community.post_limits import WeComPostSchema
from community.services import media
from franchise.models import CouponTemplate

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # WeCom's limit for an image in media/upload
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
UPLOAD_PLACEHOLDER = "(upload)"  # stands for a media_id while the post is validated


class PostInvalid(DomainError):
    """A post breaks one of WeCom's limits; ``errors`` names the field."""

    status = 422
    code = "invalid_post"


def coupon_template_exists(template_id) -> bool:
    """Whether the coupon template exists and the caller may see it (in a request; jobs
    and seeders see every template)."""
    if not isinstance(template_id, int) or isinstance(template_id, bool):
        return False
    stmt = select(CouponTemplate.id).where(CouponTemplate.id == template_id)
    if has_request_context():
        stmt = scoped(stmt, CouponTemplate)
    return db.session.scalars(stmt).first() is not None


def check_post(data: dict) -> dict:
    """``data`` loaded through ``WeComPostSchema`` (WeCom's limits) with a coupon post's
    template checked to exist; returns the clean post or raises ``PostInvalid`` whose
    ``errors`` map field names (``text``, ``attachments.2.link.title``,
    ``coupon_template_id``) to messages."""
    try:
        clean = WeComPostSchema().load(data)
        errors: dict[str, list[str]] = {}
    except ValidationError as exc:
        clean, errors = {}, flat_errors(exc.messages)
    template_id = data.get("coupon_template_id") or None
    if (
        data.get("purpose") == COUPON
        and template_id
        and "coupon_template_id" not in errors
        and not coupon_template_exists(template_id)
    ):
        errors["coupon_template_id"] = [tr("No such coupon template.")]
    if errors:
        raise PostInvalid(next(iter(errors.values()))[0], errors=errors)
    return clean


def save_post(data: dict, post: ContentPost | None = None, user_id: int | None = None):
    """Create or update a post after validation; commits and returns it."""
    clean = check_post(data)
    title, purpose, text = clean["title"].strip(), clean["purpose"], clean["text"] or ""
    coupon_id = data.get("coupon_template_id") or None
    attachments = clean["attachments"]
    if post is None:
        post = ContentPost(created_by=user_id)
        db.session.add(post)
    post.title, post.purpose, post.text = title, purpose, text
    post.attachments = attachments
    post.coupon_template_id = coupon_id if purpose == COUPON else None
    if data.get("status") in ("active", "archived"):
        post.status = data["status"]
    commit_or_rollback(db.session)
    return post


def image_file_error(filename: str, data: bytes) -> str | None:
    """Why an uploaded file cannot be a WeCom image (None when it can): JPG/PNG, ≤ 10 MB."""
    name = (filename or "").lower()
    if not name.endswith(IMAGE_SUFFIXES) or not data.startswith(IMAGE_MAGIC):
        return tr("The image must be a JPG or PNG file.")
    if len(data) > MAX_IMAGE_BYTES:
        return tr(
            "The image is %(size)s bytes; WeCom allows at most %(limit)s bytes.",
            size=len(data),
            limit=MAX_IMAGE_BYTES,
        )
    return None


def with_upload_placeholders(attachments: list, positions) -> list:
    """``attachments`` with an image placeholder at each position that has an uploaded file."""
    out = list(attachments)
    for pos in positions:
        if 0 <= pos < len(out):
            out[pos] = {"msgtype": "image", "image": {"media_id": UPLOAD_PLACEHOLDER}}
    return out


def save_post_with_uploads(
    data: dict,
    uploads: dict[int, tuple[str, bytes]],
    post: ContentPost | None = None,
    user_id: int | None = None,
) -> ContentPost:
    """Save a post whose image attachments at the ``uploads`` positions are files
    (``{position: (filename, bytes)}``): check the files and the post, upload each file to
    WeCom media (no transaction open), then save the post with the media ids."""
    errors = {}
    for pos, (filename, content) in uploads.items():
        message = image_file_error(filename, content)
        if message:
            errors[f"attachments.{pos}.image.file"] = [message]
    attachments = with_upload_placeholders(data.get("attachments") or [], uploads)
    try:
        check_post({**data, "attachments": attachments})
    except PostInvalid as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise PostInvalid(next(iter(errors.values()))[0], errors=errors)
    db.session.commit()  # end any read transaction: WeCom is never called inside one
    for pos, (filename, content) in sorted(uploads.items()):
        try:
            media_id = wecom.upload_image(filename, content)
        except WeChatError as exc:
            message = tr("WeCom refused the image: %(error)s", error=str(exc)[:200])
            raise PostInvalid(message, errors={f"attachments.{pos}.image.file": [message]}) from exc
        attachments[pos] = {"msgtype": "image", "image": {"media_id": media_id}}
        media.remember_upload(filename, content, media_id)  # saved with the post
    return save_post({**data, "attachments": attachments}, post, user_id)


def get_post(post_id: int) -> ContentPost:
    post = db.session.get(ContentPost, post_id) if isinstance(post_id, int) else None
    if post is None:
        raise NotFound(tr("Post not found."))
    return post


def list_posts(purpose: str | None = None):
    stmt = select(ContentPost).order_by(ContentPost.id.desc())
    if purpose:
        stmt = stmt.where(ContentPost.purpose == purpose)
    return stmt


def send_parts(post: ContentPost) -> tuple[str, list[dict]]:
    """The text and attachments of ``post`` as ``add_msg_template`` takes them."""
    return post.text or "", list(post.attachments or [])
