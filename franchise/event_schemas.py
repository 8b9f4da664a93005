"""Schemas of member events and invitations: HQ's event (create, edit, list), the invitations
(the mini-program's own, the staff's list with filters) and the attendance mark."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from app.clock import SHANGHAI
from app.schemas import PageQuerySchema, Text, body_id, page_schema, query_id
from app.web.labels import label
from franchise.models import LEVELS
from franchise.models.member_events import INVITATION_STATUSES
from franchise.services.member_event_changes import event_status


class MemberEventCreateSchema(Schema):
    """An event: name, start (Shanghai time when no offset), a store (none: online), the
    levels invited, the places."""

    name = Text(required=True, validate=validate.Length(1, 64))
    starts_at = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    store_id = body_id(allow_none=True, load_default=None)
    levels = fields.List(
        fields.String(validate=validate.OneOf(LEVELS)),
        required=True,
        validate=validate.Length(min=1, max=len(LEVELS)),
    )
    capacity = fields.Integer(strict=True, required=True, validate=validate.Range(1, 100_000))


class MemberEventEditSchema(MemberEventCreateSchema):
    """An edit: any of the event's fields (only those given change; load it with
    ``partial=True``); ``store_id`` null makes the event online."""

    store_id = body_id(allow_none=True)


def place_of(event) -> str:
    """Where the event is: the store's name, or 线上 (online)."""
    return event.store.name if event.store else "线上"


class MemberEventSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    starts_at = fields.DateTime()
    store_id = fields.Integer(allow_none=True)
    place = fields.Function(place_of)
    levels = fields.List(fields.String())
    capacity = fields.Integer()
    accepted = fields.Integer()
    invited = fields.Integer()
    status = fields.Function(lambda e: event_status(e))
    status_label = fields.Function(lambda e: label(event_status(e), "event_status"))
    cancelled_at = fields.DateTime(allow_none=True)


class InvitationSchema(Schema):
    """An invitation with its event (what the member and the staff see)."""

    id = fields.Integer()
    event_id = fields.Integer()
    event = fields.Function(lambda i: i.event.name)
    starts_at = fields.Function(lambda i: i.event.starts_at.isoformat())
    place = fields.Function(lambda i: place_of(i.event))
    places_left = fields.Function(lambda i: i.event.capacity - i.event.accepted)
    customer_id = fields.Integer()
    level = fields.String()
    status = fields.String()
    status_label = fields.Function(lambda i: label(i.status, "invitation_status"))
    responded_at = fields.DateTime(allow_none=True)
    attended = fields.Boolean()


class InvitationQuerySchema(PageQuerySchema):
    event_id = query_id()
    status = fields.String(validate=validate.OneOf(INVITATION_STATUSES))
    attended = fields.Boolean()
    customer_id = query_id()


class AttendedSchema(Schema):
    attended = fields.Boolean(required=True)


MemberEventPageSchema = page_schema(MemberEventSchema, "MemberEventPage")
InvitationPageSchema = page_schema(InvitationSchema, "InvitationPage")


# purpose → the setting holding its subscribe-message template id
TEMPLATE_SETTINGS = {
    "service_ready": "MP_TEMPLATE_SERVICE_READY",
    "points_expiring": "MP_TEMPLATE_POINTS_EXPIRING",
    "event_changes": "MP_TEMPLATE_EVENT_CHANGED",
}


def subscribe_templates() -> dict:
    """``{"templates": {purpose: id}, "tmpl_ids": [id…]}`` from the settings."""
    ids = {purpose: current_app.config[key] for purpose, key in TEMPLATE_SETTINGS.items()}
    return {"templates": ids, "tmpl_ids": [i for i in ids.values() if i]}


class SubscribeTemplatesSchema(Schema):
    """The mini-program's subscribe templates: by purpose, and the list to pass as
    ``tmplIds`` to ``wx.requestSubscribeMessage``."""

    templates = fields.Dict(keys=fields.String(), values=fields.String())
    tmpl_ids = fields.List(fields.String())
