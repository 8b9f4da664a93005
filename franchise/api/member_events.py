"""Member events API.

Mini-program (customer token): ``GET /api/v1/mp/invitations`` (my invitations, newest
event first, paginated), ``POST /api/v1/mp/invitations/{id}/accept`` and ``…/decline``
(another customer's invitation is 404; the last place taken by someone else or an event
already started is 409). Staff: ``POST /api/v1/member-events`` (HQ creates an event and
its invitations), ``GET /api/v1/member-events`` (HQ), ``GET /api/v1/event-invitations``
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
    MemberEventPageSchema,
    MemberEventSchema,
)
from franchise.services import member_events

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
