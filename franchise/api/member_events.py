"""Member events API.

Mini-program (customer token): ``GET /api/v1/mp/subscribe-templates`` (the template
ids per purpose the client asks consent for), ``GET /api/v1/mp/invitations`` (my invitations, newest
event first, paginated), ``POST /api/v1/mp/invitations/{id}/accept`` and ``…/decline``
(another customer's invitation is 404; the last place taken by someone else or an event
already started is 409). Staff: ``POST /api/v1/member-events`` (HQ creates an event and
its invitations), ``GET /api/v1/member-events`` (HQ), ``GET|PATCH
/api/v1/member-events/{id}`` (HQ edits: fewer places than accepted is 422 naming
``capacity``; levels added invite the newly eligible), ``POST
/api/v1/member-events/{id}/cancel`` (HQ; the invitations become cancelled, the accepted
members get a subscribe message; a started event is 409), ``GET /api/v1/event-invitations``
(scoped: HQ all, an owner or guide their customers'; filters event, status, attended,
customer), ``PUT /api/v1/event-invitations/{id}/attended``.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.decorators import api_roles
from app.auth.models import ADMIN_UI_ROLES, CUSTOMER, GUIDE, HQ_ROLES
from app.schemas import PageQuerySchema, page_of
from franchise.event_schemas import (
    AttendedSchema,
    InvitationPageSchema,
    InvitationQuerySchema,
    InvitationSchema,
    MemberEventCreateSchema,
    MemberEventEditSchema,
    MemberEventPageSchema,
    MemberEventSchema,
    SubscribeTemplatesSchema,
    subscribe_templates,
)
from franchise.services import member_event_changes, member_events

blp = Blueprint(
    "franchise_member_events_api",
    __name__,
    url_prefix="/api/v1",
    description="Member events and invitations",
)


@blp.route("/mp/invitations")
class MyInvitations(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, InvitationPageSchema)
    def get(self, args):
        """My event invitations, newest event first."""
        return page_of(member_events.invitation_stmt(), args)


@blp.route("/mp/subscribe-templates")
class SubscribeTemplates(MethodView):
    @api_roles(CUSTOMER)
    @blp.response(200, SubscribeTemplatesSchema)
    def get(self):
        """The subscribe-message template ids per purpose, for ``wx.requestSubscribeMessage``
        (``tmplIds``): the customer's consent before Siyu can send each message."""
        return subscribe_templates()


@blp.route("/mp/invitations/<int:invitation_id>/<any(accept, decline):answer>")
class AnswerInvitation(MethodView):
    @api_roles(CUSTOMER)
    @blp.response(200, InvitationSchema)
    @blp.alt_response(404, description="Not my invitation")
    @blp.alt_response(409, description="The event is full or has started")
    def post(self, invitation_id: int, answer: str):
        """Accept (takes a place) or decline (gives an accepted place back)."""
        return member_events.answer(invitation_id, accept=answer == "accept")


@blp.route("/member-events")
class MemberEvents(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, MemberEventPageSchema)
    def get(self, args):
        """Events, latest start first (HQ)."""
        return page_of(member_events.events_stmt(args), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(MemberEventCreateSchema)
    @blp.response(201, MemberEventSchema)
    def post(self, body):
        """Create an event and invite the members of its levels (HQ)."""
        return member_events.create_event(body)


@blp.route("/member-events/<int:event_id>")
class MemberEventOne(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, MemberEventSchema)
    def get(self, event_id: int):
        """One event with its status in words (HQ)."""
        return member_events.get_event(event_id)

    @api_roles(*HQ_ROLES)
    @blp.arguments(MemberEventEditSchema(partial=True))
    @blp.response(200, MemberEventSchema)
    @blp.alt_response(409, description="The event is cancelled or has started")
    @blp.alt_response(422, description="A field is invalid (fewer places than accepted)")
    def patch(self, body, event_id: int):
        """Edit the event; levels added invite the newly eligible members (HQ)."""
        return member_event_changes.edit_event(event_id, body)[0]


@blp.route("/member-events/<int:event_id>/cancel")
class CancelMemberEvent(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, MemberEventSchema)
    @blp.alt_response(409, description="The event has started")
    def post(self, event_id: int):
        """Cancel the event: its invitations are cancelled, accepted members told (HQ)."""
        return member_event_changes.cancel_event(event_id)


@blp.route("/event-invitations")
class Invitations(MethodView):
    @api_roles(*ADMIN_UI_ROLES, GUIDE)
    @blp.arguments(InvitationQuerySchema, location="query")
    @blp.response(200, InvitationPageSchema)
    def get(self, args):
        """Invitations of the caller's customers, filtered."""
        return page_of(member_events.invitation_stmt(args), args)


@blp.route("/event-invitations/<int:invitation_id>/attended")
class Attended(MethodView):
    @api_roles(*ADMIN_UI_ROLES, GUIDE)
    @blp.arguments(AttendedSchema)
    @blp.response(200, InvitationSchema)
    def put(self, body, invitation_id: int):
        """Mark whether an accepted member came."""
        return member_events.set_attended(invitation_id, body["attended"])
