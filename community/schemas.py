"""Marshmallow schemas of the community domain: what its JSON API takes and gives.

* groups: ``GroupQuerySchema`` (the list's filters, also behind the admin groups page),
  ``GroupSchema`` / ``GroupDetailSchema`` (with ``StageChangeSchema`` history),
  ``StageOverrideSchema`` and ``BenchmarkSchema`` bodies;
* content and plans: ``PostSchema``, ``PlanSchema`` (bodies and answers),
  ``PostQuerySchema``, ``AllocationSchema`` and ``AllocationQuerySchema``;
* delivery history: ``DeliveryQuerySchema``, ``DeliveryItemSchema``, ``DeliveryPageSchema``;
* WeCom contacts: ``ContactQuerySchema``, ``ContactSchema`` / ``ContactPageSchema``,
  ``ContactWaySchema`` and its ``ContactWayBodySchema``, ``GuideContactFiguresSchema``.

Bodies use strict integers and bounded strings and refuse unknown fields, like the
the shared pieces in ``app.schemas`` they build on.

One schema per thing, used by every way in: the JSON API (``@blp.arguments``), the admin
page forms (``app.web.form_input.load_form``) and the services themselves
(``community.services.plans.save_plan`` loads its ``data`` through ``PlanSchema``), so a
value is checked the same way whoever sends it.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError

from app.schemas import (
    MAX_ID,
    PageArgsSchema,
    PageQuerySchema,
    Text,
    body_id,
    body_ids,
    page_schema,
    per_page_arg,
    query_id,
)
from community.models import (
    PURPOSES,
    SCHEDULE_KINDS,
    SEGMENTS,
    STAGES,
)

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
    region_ids = body_ids(10000, load_default=list)
    franchisee_ids = body_ids(10000, load_default=list)
    store_ids = body_ids(10000, load_default=list)
    group_ids = body_ids(10000, load_default=list)
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
    window_from = fields.Integer(strict=True, allow_none=True, validate=validate.Range(-60, 60))
    window_to = fields.Integer(strict=True, allow_none=True, validate=validate.Range(-60, 60))
    active_from = fields.Date(allow_none=True)
    active_until = fields.Date(allow_none=True)
    status = Text(load_default="active", validate=validate.OneOf(PLAN_STATUSES))
    template_id = fields.Integer(dump_only=True, allow_none=True)
    # saving a plan whose occurrences would be missed needs this after the reach preview
    confirm_missed = fields.Boolean(load_only=True, load_default=False)


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


DeliveryPageSchema = page_schema(DeliveryItemSchema, "DeliveryPage", group_id=fields.Integer())


class DeliveryQuerySchema(PageArgsSchema):
    per_page = per_page_arg(50)
    day_from = fields.Date()
    day_to = fields.Date()


# --- the fission page's forms -----------------------------------------------------


class FissionRuleFormSchema(Schema):
    """The fission page's "new reward rule" form (its 1..1000 invites are the service's)."""

    name = Text(load_default="", validate=validate.Length(max=64))
    invites_required = body_id(load_default=0)
    coupon_template_id = body_id(load_default=0)


class InviteCodeRefSchema(Schema):
    """The invite code a fission page button acts on (refresh its groups, retire it)."""

    code_id = body_id(load_default=0)


class FissionRuleRefSchema(Schema):
    """The rule a fission page button acts on."""

    rule_id = body_id(load_default=0)


# --- WeCom contacts ---------------------------------------------------------------------

CONTACT_STATUSES = ("active", "deleted_by_customer", "deleted_by_guide", "all")


class ContactQuerySchema(PageQuerySchema):
    """``GET /contacts`` filters (also behind the admin contacts page and its CSV)."""

    guide_id = query_id()
    store_id = query_id()
    franchisee_id = query_id()
    tag = Text(validate=validate.Length(max=64))
    status = fields.String(validate=validate.OneOf(CONTACT_STATUSES))


class ContactSchema(Schema):
    """One guide ↔ contact relationship, as the contract lists it."""

    external_userid = fields.String()
    name = fields.String()
    remark = fields.String()
    customer_id = fields.Integer(allow_none=True)
    guide_id = fields.Integer(allow_none=True)
    guide_name = fields.String()
    tags = fields.List(fields.String())
    added_at = fields.DateTime(allow_none=True)
    state = fields.String(allow_none=True)
    status = fields.String()
    welcome_status = fields.String(allow_none=True)


ContactPageSchema = page_schema(ContactSchema, "ContactPage")


class ContactWaySchema(Schema):
    """A 联系我 code: ``config_id``, the QR code's URL and the ``state`` that says who and why."""

    config_id = fields.String()
    qr_code = fields.String()
    state = fields.String()


class ContactWayBodySchema(Schema):
    """``POST /guides/{id}/contact-way``: optionally for a live campaign."""

    campaign_id = body_id(load_default=None, allow_none=True)


class GuideContactFiguresSchema(Schema):
    guide_id = fields.Integer()
    guide_name = fields.String()
    store_name = fields.String()
    franchisee_name = fields.String()
    contacts = fields.Integer()
    new_this_week = fields.Integer()
    deleted_by_customers = fields.Integer()
    deleted_this_week = fields.Integer()


# the WeCom customers area (tags, hand-overs, the guide's customer page) keeps its
# schemas in its own module, re-exported here with the rest of the domain's
from community.schemas_wecom_customers import *  # noqa: E402, F401, F403

# --- planner: receiving limit, schedule, reach ----------------------------------------


class ReceivingLimitSchema(Schema):
    """The corp's receiving-limit policy (WeCom doc 92135) and Siyu's daily cap."""

    policy = Text(required=True, validate=validate.OneOf(("month", "week", "day")))
    label = fields.String(dump_only=True)
    daily_cap = fields.Integer(strict=True, validate=validate.Range(1, 31))


class ScheduleQuerySchema(PageQuerySchema):
    from_ = fields.Date(data_key="from", required=True)
    days = fields.Integer(strict=False, load_default=14, validate=validate.Range(1, 62))
    plan_id = query_id()
    group_id = query_id()
    status = Text(validate=validate.OneOf(("scheduled", "pending", "sent", "missed")))


class MissedItemSchema(Schema):
    date = fields.Date()
    group_id = fields.Integer()
    group_name = fields.String()
    reason = fields.String()


class ScheduleItemSchema(MissedItemSchema):
    plan_id = fields.Integer()
    plan_name = fields.String()
    content_id = fields.Integer()
    status = fields.String()


SchedulePageSchema = page_schema(
    ScheduleItemSchema, "SchedulePage", policy=fields.Nested(ReceivingLimitSchema)
)


class ReachSchema(Schema):
    groups = fields.Integer()
    occurrences = fields.Integer()
    scheduled = fields.Integer()
    at_risk = fields.Integer()
    missed = fields.Integer()
    sent = fields.Integer()
    pending = fields.Integer()
    missed_items = fields.List(fields.Nested(MissedItemSchema))
