"""Marshmallow schemas of the WeCom customers area (issue 14, items 3–6): the tag
library, a person's tags and their changes, the customers of a tag, hand-overs, and the
forms of the guide's customer page. Re-exported by ``community.schemas`` (import them from
there); form ids load like JSON body ids (``app.schemas.body_id``).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError

from app.schemas import IdNameSchema, PageQuerySchema, Text, body_id, page_schema, query_id

TAG_NAME = validate.Length(min=1, max=30)  # WeCom's limit for a tag or group name


class TagSchema(IdNameSchema):
    """A tag of the library, with its WeCom sync state."""

    rule = fields.String(allow_none=True)
    wecom_id = fields.String(allow_none=True)
    sync_error = fields.String(allow_none=True)


class TagGroupSchema(IdNameSchema):
    """A tag group and its live tags."""

    wecom_id = fields.String(allow_none=True)
    sync_error = fields.String(allow_none=True)
    tags = fields.Method("_tags")

    def _tags(self, group):
        return TagSchema(many=True).dump([t for t in group.tags if not t.deleted])


class TagGroupCreateSchema(Schema):
    """HQ's new tag group: its name and tags (1..30 characters each, as WeCom allows)."""

    name = Text(required=True, validate=TAG_NAME)
    tags = fields.List(Text(validate=TAG_NAME), required=True, validate=validate.Length(1, 50))
    order = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 10**6))


class TagGroupFormSchema(Schema):
    """The tags page's "new tag group" form: tags one per line or comma-separated."""

    name = Text(required=True, validate=TAG_NAME)
    tags = Text(required=True, validate=validate.Length(1, 2000))


class TagRuleFormSchema(Schema):
    """The tags page's rule, rename and delete buttons of one tag."""

    tag_id = body_id(load_default=0)
    rule = Text(load_default="", validate=validate.Length(max=40))
    name = Text(load_default="", validate=validate.Length(max=30))


class PersonTagSchema(IdNameSchema):
    """A tag on a person, with WeCom's answer to ``mark_tag``."""

    group = fields.String()
    status = fields.String()
    error = fields.String(allow_none=True)


class TagChangeSchema(Schema):
    """``{"add": [tag ids], "remove": [tag ids]}`` for one customer (≤ 50 each)."""

    add = fields.List(body_id(), load_default=list, validate=validate.Length(max=50))
    remove = fields.List(body_id(), load_default=list, validate=validate.Length(max=50))

    @validates_schema
    def _one(self, data, **kwargs):
        if not data.get("add") and not data.get("remove"):
            raise MarshmallowValidationError("add or remove a tag", "add")


class TagCustomerQuerySchema(PageQuerySchema):
    """``/tags/{id}/customers`` and the tag's customer list page: ``?tag_id=&q=``."""

    tag_id = query_id()


class TaggedCustomerSchema(Schema):
    """A customer carrying a tag, by name."""

    id = fields.Integer()
    nickname = fields.String()
    tier_label = fields.String(allow_none=True)


TaggedCustomerPageSchema = page_schema(TaggedCustomerSchema, "TaggedCustomerPage")


class TransferRequestSchema(Schema):
    """HQ moves customers to another guide through WeCom (在职继承)."""

    customer_ids = fields.List(body_id(), required=True, validate=validate.Length(1, 1000))
    takeover_guide_id = body_id(required=True)


class GuideHandoverSchema(Schema):
    """HQ's hand-over page: every customer of one guide to another (through WeCom)."""

    from_guide_id = body_id(required=True)
    to_guide_id = body_id(required=True)


class TransferSchema(Schema):
    """One hand-over: who, from whom to whom, and WeCom's outcome."""

    id = fields.Integer()
    target = fields.String()
    resigned = fields.Boolean()
    reason = fields.String()
    customer_id = fields.Integer(allow_none=True)
    external_userid = fields.String(allow_none=True)
    chat_id = fields.String(allow_none=True)
    handover_guide_id = fields.Integer(allow_none=True)
    takeover_guide_id = fields.Integer(allow_none=True)
    status = fields.String()
    errcode = fields.Integer(allow_none=True)
    errmsg = fields.String(allow_none=True)
    takeover_at = fields.DateTime(allow_none=True)
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class TransferQuerySchema(PageQuerySchema):
    """``?status=&reason=`` of the hand-over list."""

    status = Text(
        validate=validate.OneOf(("queued", "waiting", "accepted", "refused", "limit", "failed"))
    )
    reason = Text(validate=validate.OneOf(("guide_left", "store_closed", "hq_move")))


TransferPageSchema = page_schema(TransferSchema, "TransferPage")


class GuideNoteFormSchema(Schema):
    """The guide's note on a customer (mobile)."""

    text = Text(required=True, validate=validate.Length(1, 500))


class GuideCouponFormSchema(Schema):
    """The coupon a guide issues to a customer (mobile)."""

    template_id = body_id(required=True)


class GuideAppointmentFormSchema(Schema):
    """The in-store visit a guide books for a customer (mobile)."""

    kind = Text(required=True, validate=validate.OneOf(("try_on", "maintenance", "inspection")))
    slot_start = fields.AwareDateTime(required=True, default_timezone=None)


class GuideTagsFormSchema(Schema):
    """The tags a guide leaves on a customer (mobile): every checked tag id."""

    tag_ids = fields.List(body_id(), load_default=list, validate=validate.Length(max=200))


class InviteCodeBodySchema(Schema):
    """A new invite code with its WeCom join code: a guide, a store or a campaign."""

    guide_id = body_id(allow_none=True)
    store_id = body_id(allow_none=True)
    campaign_id = body_id(allow_none=True)
    label = Text(load_default="", validate=validate.Length(max=64))


class InviteCodeFormSchema(InviteCodeBodySchema):
    """The fission page's "new invite code" form: the API's body (the service checks which
    of the guide, store and campaign exist)."""


class InviteCodeSchema(Schema):
    """An invite code and its WeCom join code (``qr_url`` empty until WeCom answered;
    ``join_way_error`` WeCom's refusal)."""

    id = fields.Integer()
    state = fields.String()
    label = fields.String()
    guide_id = fields.Integer(allow_none=True)
    store_id = fields.Integer(allow_none=True)
    campaign_id = fields.Integer(allow_none=True)
    join_way_config_id = fields.String(allow_none=True)
    qr_url = fields.String()
    join_way_error = fields.String(allow_none=True)
    status = fields.String()


InviteCodePageSchema = page_schema(InviteCodeSchema, "InviteCodePage")
