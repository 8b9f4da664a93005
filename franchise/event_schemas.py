"""Schemas of member events and invitations: HQ's event (create, list), the invitations
(the mini-program's own, the staff's list with filters) and the attendance mark."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.clock import SHANGHAI
from app.schemas import PageQuerySchema, Text, body_id, page_schema, query_id
from franchise.models import LEVELS
from franchise.models.member_events import INVITATION_STATUSES


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
