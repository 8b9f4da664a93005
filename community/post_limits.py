"""WeCom's limits on a post (``add_msg_template``) as a marshmallow schema.

``WeComPostSchema`` loads a post as WeCom will take it: a title, a purpose, text of at
most ``MAX_TEXT_BYTES`` UTF-8 bytes and at most ``MAX_ATTACHMENTS`` attachments, each
field of an attachment within ``ATTACHMENT_LIMITS``. The content service loads every
post through it, whether it came from the API, the admin form or its live check.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, pre_load, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError

from app.i18n import tr
from app.wechat.wecom import MAX_ATTACHMENTS, MAX_TEXT_BYTES
from community.models import COUPON, PURPOSES

# (msgtype, field) -> (max UTF-8 bytes, required)
ATTACHMENT_LIMITS = {
    ("link", "title"): (128, True),
    ("link", "url"): (2048, True),
    ("link", "desc"): (512, False),
    ("link", "picurl"): (2048, False),
    ("miniprogram", "title"): (64, True),
    ("miniprogram", "appid"): (64, True),
    ("miniprogram", "page"): (128, True),
    ("miniprogram", "pic_media_id"): (256, True),
    ("image", "media_id"): (256, False),
    ("image", "pic_url"): (2048, False),
}
MSGTYPES = ("image", "link", "miniprogram")


def nbytes(value: str) -> int:
    """A text's length as WeCom counts it: UTF-8 bytes."""
    return len((value or "").encode("utf-8"))


class WeComText(fields.Field):
    """A text WeCom measures in UTF-8 bytes: stripped, ``limit`` bytes at most, and present
    when ``needed``; ``label`` names it in the message (``link.title``)."""

    def __init__(self, limit: int, needed: bool = False, label: str = "", **kw):
        super().__init__(load_default="", allow_none=True, **kw)
        self.limit, self.needed, self.label = limit, needed, label

    def _deserialize(self, value, attr, data, **kwargs):
        text = "" if value is None else str(value).strip()
        label = self.label or attr
        if self.needed and not text:
            raise MarshmallowValidationError(tr("%(field)s is required.", field=label))
        if nbytes(text) > self.limit:
            raise MarshmallowValidationError(
                tr(
                    "%(field)s is %(size)s bytes; WeCom allows at most %(limit)s bytes.",
                    field=label,
                    size=nbytes(text),
                    limit=self.limit,
                )
            )
        return text


def _body_schema(kind: str) -> type[Schema]:
    """The body of one attachment type, its fields and limits from ``ATTACHMENT_LIMITS``
    (each loaded even when absent, so a missing required one says so in WeCom's words)."""
    names = [name for (mtype, name) in ATTACHMENT_LIMITS if mtype == kind]
    declared: dict[str, fields.Field] = {
        name: WeComText(*ATTACHMENT_LIMITS[(kind, name)], label=f"{kind}.{name}") for name in names
    }

    class Body(Schema):
        class Meta:
            unknown = EXCLUDE

        @pre_load
        def _every_field(self, data, **kwargs):
            return {name: data.get(name) for name in names}

    return Body.from_dict(declared, name=f"{kind.title()}Body")


ATTACHMENT_BODIES = {kind: _body_schema(kind) for kind in MSGTYPES}


class Attachment(fields.Field):
    """One attachment in WeCom's shape ``{"msgtype": kind, kind: {...}}``; loads to the same
    shape with empty fields left out."""

    def _deserialize(self, value, attr, data, **kwargs):
        kind = value.get("msgtype") if isinstance(value, dict) else None
        if kind not in MSGTYPES:
            raise MarshmallowValidationError(tr("Unknown attachment type."))
        body = value.get(kind) if isinstance(value.get(kind), dict) else {}
        try:
            loaded = ATTACHMENT_BODIES[kind]().load(body)
        except MarshmallowValidationError as exc:
            raise MarshmallowValidationError({kind: exc.messages}) from exc
        clean = {name: text for name, text in loaded.items() if text}
        if kind == "image" and not clean:
            raise MarshmallowValidationError(
                {"image": [tr("An image needs a media_id or a pic_url.")]}
            )
        return {"msgtype": kind, kind: clean}


class Attachments(fields.Field):
    """The list of attachments: at most ``MAX_ATTACHMENTS``, each an ``Attachment``; the
    count and every item's errors are reported together."""

    def _deserialize(self, value, attr, data, **kwargs):
        errors: dict = {}
        if not isinstance(value, list):
            raise MarshmallowValidationError(tr("Attachments must be a list."))
        if len(value) > MAX_ATTACHMENTS:
            errors["_count"] = [
                tr(
                    "%(count)s attachments; WeCom allows at most %(limit)s.",
                    count=len(value),
                    limit=MAX_ATTACHMENTS,
                )
            ]
        clean = []
        for i, item in enumerate(value[: MAX_ATTACHMENTS + 5]):
            try:
                clean.append(Attachment().deserialize(item))
            except MarshmallowValidationError as exc:
                errors[i] = exc.messages
        if errors:
            raise MarshmallowValidationError(errors)
        return clean


def _known_type(item) -> bool:
    return isinstance(item, dict) and item.get("msgtype") in MSGTYPES


class WeComPostSchema(Schema):
    """A post as WeCom will take it: the title, a purpose, text of at most
    ``MAX_TEXT_BYTES`` UTF-8 bytes, and attachments within ``ATTACHMENT_LIMITS``. The
    service loads every post through it (the API's ``PostSchema`` checks the shape first);
    that the coupon template exists is the service's own check."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(load_default="")
    purpose = fields.String(load_default="")
    text = fields.String(load_default="", allow_none=True)
    attachments = fields.Raw(load_default=list, allow_none=True)
    coupon_template_id = fields.Raw(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _wecom(self, data, **kwargs):
        errors: dict = {}
        title = (data.get("title") or "").strip()
        if not title or len(title) > 64:
            errors["title"] = [tr("Title is required, at most 64 characters.")]
        if data.get("purpose") not in PURPOSES:
            errors["purpose"] = [tr("Choose a purpose.")]
        if data.get("purpose") == COUPON and not data.get("coupon_template_id"):
            errors["coupon_template_id"] = [tr("A coupon post needs a coupon template.")]
        text = data.get("text") or ""
        if nbytes(text) > MAX_TEXT_BYTES:
            errors["text"] = [
                tr(
                    "Text is %(size)s bytes; WeCom allows at most %(limit)s bytes (UTF-8).",
                    size=nbytes(text),
                    limit=MAX_TEXT_BYTES,
                )
            ]
        attachments = data.get("attachments") or []
        try:
            data["attachments"] = Attachments().deserialize(attachments)
        except MarshmallowValidationError as exc:
            messages = exc.messages
            if isinstance(messages, dict):
                count = messages.pop("_count", None)
                if count:
                    errors["attachments"] = count
                errors.update({f"attachments.{i}": m for i, m in messages.items()})
            else:
                errors["attachments"] = messages
            data["attachments"] = []
        items = attachments if isinstance(attachments, list) else []
        if not text.strip() and not any(_known_type(item) for item in items):
            message = tr("A post needs text or at least one attachment.")
            errors.setdefault("text", []).append(message)
        if errors:
            raise MarshmallowValidationError(errors)
