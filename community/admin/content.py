"""Content library pages (``/admin/content``, HQ): list by purpose, new / edit with the
WeCom limits checked on save (messages on the form) and a WeCom-like preview.

Attachments are edited as rows of a small form (type + fields; an image row may carry a
JPG/PNG file, uploaded to WeCom media on save); ``/admin/content/check``
answers the page's live validation (JSON: byte counts and field errors) as the user types.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.auth.principal import required_principal
from app.extensions import db
from app.web.form_input import form_values
from app.web.listing import paginate
from app.web.pages import pages_blueprint
from community.models import PURPOSES, ContentPost
from community.post_limits import ATTACHMENT_LIMITS, nbytes
from community.schemas import PostSchema
from community.services import content as content_service
from franchise.models import CouponTemplate

bp = pages_blueprint("community_content", __name__, "/admin/content")

PURPOSE_LABELS = {
    "care": _l("Care"),
    "knowledge": _l("Knowledge"),
    "brand_story": _l("Brand story"),
    "new_product": _l("New product"),
    "coupon": _l("Coupon"),
}
MAX_ROWS = 12


def attachments_from_form(form) -> list[dict]:
    """Rows ``att-<i>-type`` / ``att-<i>-<field>`` → WeCom-shaped attachments."""
    out = []
    for i in range(MAX_ROWS):
        kind = form.get(f"att-{i}-type")
        if not kind:
            continue
        fields_ = [f for (m, f) in ATTACHMENT_LIMITS if m == kind]
        out.append(
            {"msgtype": kind, kind: {f: form.get(f"att-{i}-{f}", "").strip() for f in fields_}}
        )
    return out


def uploaded_images(form, files) -> dict:
    """Image rows with a chosen file (``att-<i>-file``): ``{attachment position: FileStorage}``
    (positions count only the filled rows, like ``attachments_from_form``)."""
    rows = [i for i in range(MAX_ROWS) if form.get(f"att-{i}-type")]
    out = {}
    for pos, i in enumerate(rows):
        upload = files.get(f"att-{i}-file")
        if form.get(f"att-{i}-type") == "image" and upload and upload.filename:
            out[pos] = upload
    return out


def _read_uploads(files: dict) -> dict:
    """``{position: (filename, bytes)}``, reading at most one byte over the image limit."""
    limit = content_service.MAX_IMAGE_BYTES + 1
    return {pos: (f.filename, f.read(limit)) for pos, f in files.items()}


def raise_body_limit() -> None:
    """Let the content form carry a 10 MB image (the app's default body limit is smaller);
    run before CSRF reads the form."""
    if request.endpoint in ("community_content.new", "community_content.edit"):
        request.max_content_length = content_service.MAX_IMAGE_BYTES + 1024 * 1024


def _form_data(form) -> dict:
    """The post form as the service's input: the fields the API's ``PostSchema`` knows as
    JSON values (``form_values``: an id as an int, empty as None), the attachments from
    their own fields."""
    values = form_values(PostSchema(), form)
    return {
        "title": (values.get("title") or "").strip(),
        "purpose": values.get("purpose") or "",
        "text": (values.get("text") or "").replace("\r\n", "\n"),
        "attachments": attachments_from_form(form),
        "coupon_template_id": values.get("coupon_template_id"),
        "status": values.get("status") or "active",
    }


@bp.route("")
@page_roles(*HQ_ROLES)
def posts():
    """Posts by purpose (tabs), newest first."""
    purpose = request.args.get("purpose") if request.args.get("purpose") in PURPOSES else None
    page = paginate(content_service.list_posts(purpose))
    return render_template(
        "community/content/list.html",
        page=page,
        purpose=purpose,
        labels=PURPOSE_LABELS,
    )


def _render_form(post, data, errors, status=200):
    coupons = db.session.scalars(select(CouponTemplate).order_by(CouponTemplate.id)).all()
    return render_template(
        "community/content/form.html",
        post=post,
        data=data,
        errors=errors,
        labels=PURPOSE_LABELS,
        coupons=coupons,
        limits=ATTACHMENT_LIMITS,
        max_rows=MAX_ROWS,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def new():
    return _edit(None)


@bp.route("/<int:object_id>", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def edit(object_id: int):
    return _edit(content_service.get_post(object_id))


def _edit(post: ContentPost | None):
    if request.method == "POST":
        data = _form_data(request.form)
        uploads = _read_uploads(uploaded_images(request.form, request.files))
        principal = required_principal()
        try:
            saved = content_service.save_post_with_uploads(
                data, uploads, post, user_id=principal.user_id
            )
        except content_service.PostInvalid as exc:
            flash(exc.message, "error")
            return _render_form(post, data, exc.errors, 422)
        flash(_("Post saved."), "success")
        return redirect(url_for("community_content.edit", object_id=saved.id), 303)
    data = (
        {
            "title": post.title,
            "purpose": post.purpose,
            "text": post.text,
            "attachments": post.attachments or [],
            "coupon_template_id": post.coupon_template_id,
            "status": post.status,
        }
        if post
        else {"title": "", "purpose": "knowledge", "text": "", "attachments": []}
    )
    return _render_form(post, data, {})


@bp.post("/check")
@page_roles(*HQ_ROLES)
def check():
    """Live validation for the form: ``{"ok", "text_bytes", "errors"}``."""
    data = _form_data(request.form)
    errors = {}
    try:
        content_service.check_post(
            {
                **data,
                "title": data["title"] or "-",
                "attachments": content_service.with_upload_placeholders(
                    data["attachments"], uploaded_images(request.form, request.files)
                ),
            }
        )
    except content_service.PostInvalid as exc:
        errors = exc.errors
    return jsonify(ok=not errors, text_bytes=nbytes(data["text"]), errors=errors)
