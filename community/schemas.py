"""Marshmallow schemas of the community domain: what its JSON API takes and gives.

* groups: ``GroupQuerySchema`` (the list's filters, also behind the admin groups page),
  ``GroupSchema`` / ``GroupDetailSchema`` (with ``StageChangeSchema`` history),
  ``StageOverrideSchema`` and ``BenchmarkSchema`` bodies;
* content and plans: ``PostSchema``, ``PlanSchema`` (bodies and answers),
  ``PostQuerySchema``, ``AllocationSchema`` and ``AllocationQuerySchema``;
* delivery history: ``DeliveryQuerySchema``, ``DeliveryItemSchema``, ``DeliveryPageSchema``.

Bodies use strict integers and bounded strings and refuse unknown fields, like the
the shared pieces in ``app.schemas`` they build on.

One schema per thing, used by every way in: the JSON API (``@blp.arguments``), the admin
page forms (``app.web.form_input.load_form``) and the services themselves
(``community.services.plans.save_plan`` loads its ``data`` through ``PlanSchema``), so a
value is checked the same way whoever sends it.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError

from app.i18n import tr
from app.schemas import MAX_ID, PageQuerySchema, Text, body_id, page_schema, query_id
from app.wechat.wecom import MAX_ATTACHMENTS, MAX_TEXT_BYTES
from community.models import (
    COUPON,
    PURPOSES,
    SCHEDULE_DATES,
    SCHEDULE_RELATIVE,
    SCHEDULE_WEEKLY,
    SEGMENTS,
    STAGES,
)

SCHEDULE_KINDS = (SCHEDULE_WEEKLY, SCHEDULE_DATES, SCHEDULE_RELATIVE)


# --- groups -----------------------------------------------------------------------


class StrictBoolean(fields.Boolean):
    """A JSON ``true`` / ``false`` only (``"yes"`` and ``1`` are refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class GroupQuerySchema(PageQuerySchema):
    stage = fields.String(validate=validate.OneOf(STAGES))
    segment = fields.String(validate=validate.OneOf(SEGMENTS))
    status = fields.String(validate=validate.OneOf(("active", "dismissed")))
    store_id = query_id()
    region_id = query_id()
    franchisee_id = query_id()
    guide_id = query_id()
    is_benchmark = fields.Boolean()


class StageChangeSchema(Schema):
    id = fields.Integer()
    from_stage = fields.String(allow_none=True)
    to_stage = fields.String()
    rule = fields.String()
    figures = fields.Dict()
    reason = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class GroupSchema(Schema):
    id = fields.Integer()
    chat_id = fields.String()
    name = fields.String()
    stage = fields.String()
    stage_overridden = fields.Boolean()
    segment = fields.String()
    split_suggested = fields.Boolean()
    member_count = fields.Integer()
    customer_count = fields.Integer()
    purchased_count = fields.Integer()
    store_id = fields.Integer(allow_none=True)
    guide_id = fields.Integer(allow_none=True)
    franchisee_id = fields.Integer(allow_none=True)
    region_id = fields.Integer(allow_none=True)
    owner_userid = fields.String()
    status = fields.String()
    is_benchmark = fields.Boolean()
    wecom_created_at = fields.DateTime(allow_none=True)
    synced_at = fields.DateTime(allow_none=True)


class GroupDetailSchema(GroupSchema):
    notice = fields.String()
    stage_history = fields.List(fields.Nested(StageChangeSchema))


GroupPageSchema = page_schema(GroupSchema, "GroupPage")


class StageOverrideSchema(Schema):
    stage = fields.String(validate=validate.OneOf(STAGES))
    reason = Text(validate=validate.Length(min=1, max=255))
    release = StrictBoolean(load_default=False)

    @validates_schema
    def _stage_or_release(self, data, **kwargs):
        if data.get("release"):
            return
        missing = {k: ["Required."] for k in ("stage", "reason") if not data.get(k)}
        if missing:
            raise MarshmallowValidationError(missing)


class BenchmarkSchema(Schema):
    is_benchmark = StrictBoolean(required=True)


# --- content, plans and allocations -----------------------------------------------


def _ids(**kw):
    """A bounded list of strictly integer ids."""
    item = body_id()
    return fields.List(item, validate=validate.Length(max=10000), **kw)


class PostSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = Text(required=True, validate=validate.Length(min=1, max=64))
    purpose = Text(required=True, validate=validate.OneOf(PURPOSES))
    text = fields.String(load_default="", validate=validate.Length(max=20000))
    attachments = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=50))
    coupon_template_id = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID)
    )
    status = Text(validate=validate.OneOf(("active", "archived")))
    created_at = fields.DateTime(dump_only=True)


class PostQuerySchema(PageQuerySchema):
    purpose = Text(validate=validate.OneOf(PURPOSES))


HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="HH:MM")
ISO_DAY = validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="YYYY-MM-DD")
PLAN_STATUSES = ("active", "paused", "ended")


class PlanSchema(Schema):
    """A push plan. The cross-field rules (a weekly plan needs a weekday, quiet hours
    need both ends, the period's order, targets that exist) are the service's."""

    id = fields.Integer(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=64))
    post_id = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_ID))
    stages = fields.List(Text(validate=validate.OneOf(STAGES)), load_default=list)
    segments = fields.List(Text(validate=validate.OneOf(SEGMENTS)), load_default=list)
    region_ids = _ids(load_default=list)
    franchisee_ids = _ids(load_default=list)
    store_ids = _ids(load_default=list)
    group_ids = _ids(load_default=list)
    schedule_kind = Text(
        load_default="weekly",
        validate=validate.OneOf(SCHEDULE_KINDS),
    )
    weekdays = fields.List(
        fields.Integer(strict=True, validate=validate.Range(0, 6)), load_default=list
    )
    dates = fields.List(
        Text(validate=ISO_DAY), load_default=list, validate=validate.Length(max=366)
    )
    relative_day = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 3650))
    send_time = Text(load_default="10:00", validate=HHMM)
    quiet_start = Text(allow_none=True, validate=HHMM)
    quiet_end = Text(allow_none=True, validate=HHMM)
    priority = fields.Integer(strict=True, load_default=50, validate=validate.Range(0, 1000))
    active_from = fields.Date(allow_none=True)
    active_until = fields.Date(allow_none=True)
    status = Text(load_default="active", validate=validate.OneOf(PLAN_STATUSES))
    template_id = fields.Integer(dump_only=True, allow_none=True)


class AllocationSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    plan_id = fields.Integer()
    post_id = fields.Integer()
    group_id = fields.Integer()
    guide_id = fields.Integer(allow_none=True)
    priority = fields.Integer()
    status = fields.String()
    reason = fields.String()
    send_at = fields.DateTime(allow_none=True)
    batch_id = fields.Integer(allow_none=True)


class AllocationQuerySchema(PageQuerySchema):
    day = fields.Date(required=True)
    status = Text(validate=validate.OneOf(("allocated", "waiting")))
    group_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


# --- delivery history -------------------------------------------------------------


class DeliveryItemSchema(Schema):
    day = fields.Date()
    plan_id = fields.Integer()
    plan_name = fields.String()
    post_id = fields.Integer()
    post_title = fields.String()
    status = fields.String()
    reason = fields.String()
    send_at = fields.DateTime(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    msgid = fields.String(allow_none=True)
    result = fields.String(allow_none=True)
    result_time = fields.DateTime(allow_none=True)


class DeliveryPageSchema(Schema):
    group_id = fields.Integer()
    items = fields.List(fields.Nested(DeliveryItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class DeliveryQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**6))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    day_from = fields.Date()
    day_to = fields.Date()


# --- the fission page's forms -----------------------------------------------------


def _form_id(**kw):
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kw)


class InviteCodeFormSchema(Schema):
    """The fission page's "new invite code" form (a guide or a campaign; the service checks
    which exist)."""

    guide_id = _form_id(allow_none=True)
    campaign_id = _form_id(allow_none=True)
    label = Text(load_default="", validate=validate.Length(max=64))


class FissionRuleFormSchema(Schema):
    """The fission page's "new reward rule" form (its 1..1000 invites are the service's)."""

    name = Text(load_default="", validate=validate.Length(max=64))
    invites_required = _form_id(load_default=0)
    coupon_template_id = _form_id(load_default=0)


class FissionRuleRefSchema(Schema):
    """The rule a fission page button acts on."""

    rule_id = _form_id(load_default=0)


# --- WeCom's limits on a post (``add_msg_template``) --------------------------------

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
