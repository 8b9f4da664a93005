"""Marshmallow schemas for the community's input: posts and push plans.

One schema per thing, used by every way in: the JSON API (``@blp.arguments``), the admin
page forms (``app.web.form_input.load_form``) and the services themselves
(``community.services.plans.save_plan`` loads its ``data`` through ``PlanSchema``), so a
value is checked the same way whoever sends it. Bodies are strict (``"1"`` is not an
integer); the page helper turns form text into JSON values first.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from community.models import (
    PURPOSES,
    SCHEDULE_DATES,
    SCHEDULE_RELATIVE,
    SCHEDULE_WEEKLY,
    SEGMENTS,
    STAGES,
)
from franchise.schemas import MAX_ID, Text

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="HH:MM")
ISO_DAY = validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="YYYY-MM-DD")
PLAN_STATUSES = ("active", "paused", "ended")


def _ids(**kw):
    item = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID))
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
        validate=validate.OneOf((SCHEDULE_WEEKLY, SCHEDULE_DATES, SCHEDULE_RELATIVE)),
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
