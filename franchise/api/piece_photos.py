"""Photos of a customer's piece over the JSON API (issue 19: "intake with photos and
condition notes"), the API side of what the admin and guide pages already add and show.

Staff (HQ, the franchise's owner, the store's guide; through the tenant scope):

* ``POST /api/v1/service-tickets/{id}/photos`` (``multipart/form-data``, one or more
  files under ``photos``) → 201 and the ticket's photos; ``GET …/photos`` (id, file name,
  type, size, taken at in UTC, who took it as a name); ``GET …/photos/{photo_id}`` (the
  bytes with their type, ``Cache-Control: private``).
* The same under ``/api/v1/consignments/{id}`` (寄售) and
  ``/api/v1/appointments/{id}/outcome`` (a recorded O2O inspection).

The customer (mini-program bearer): ``GET /api/v1/mp/service-tickets/{id}/photos`` and
``…/photos/{photo_id}`` of their own tickets, the condition recorded at intake.

Another franchise's record, another record's photo id, another customer's ticket → 404.
JPG / PNG by their first bytes, at most 5 MB each and 6 a record, else 422 naming
``photos`` and nothing kept (``franchise.services.ticket_photos``). Views never commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.decorators import api_roles
from app.auth.models import CUSTOMER
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, not_found
from app.extensions import db
from app.request_body import accepts_upload
from franchise.api.orders import STAFF
from franchise.models import (
    Appointment,
    AppointmentOutcome,
    Consignment,
    ConsignmentPhoto,
    InspectionPhoto,
    ServiceTicket,
    ServiceTicketPhoto,
)
from franchise.schemas_photos import PhotoListSchema, PhotoUploadSchema
from franchise.services import order_flow, ticket_photos
from franchise.services import service_tickets as tickets

blp = Blueprint(
    "piece_photos_api",
    __name__,
    url_prefix="/api/v1",
    description="Photos of a customer's piece: service tickets, consignments, inspections",
)
NAMES: dict[type, str] = {  # what the OpenAPI summaries call each record
    ServiceTicketPhoto: "the service ticket",
    ConsignmentPhoto: "the consignment",
    InspectionPhoto: "the inspection",
}
RECORD_ID = re.compile(r"<int:(\w+)>")
BINARY = {"type": "string", "format": "binary"}
IMAGE_ANSWER = {
    "description": "The photo's bytes (private cache)",
    "content": {kind: {"schema": BINARY} for kind in ticket_photos.PHOTO_TYPES.values()},
}


def _store_scope():
    return order_flow.store_principal(required_principal())


def _ticket(ticket_id: int) -> ServiceTicket:
    return tickets.store_ticket(ticket_id, required_principal())


def _consignment(consignment_id: int) -> Consignment:
    return get_scoped_or_404(Consignment, consignment_id, _store_scope())


def _inspection(appointment_id: int) -> AppointmentOutcome:
    """The recorded outcome of an O2O inspection in the caller's scope, else 404."""
    appointment = get_scoped_or_404(Appointment, appointment_id, _store_scope())
    outcome = db.session.get(AppointmentOutcome, appointment.id)
    if appointment.kind != "inspection" or outcome is None:
        raise not_found(AppointmentOutcome)
    return outcome


def _my_ticket(ticket_id: int) -> ServiceTicket:
    return get_scoped_or_404(ServiceTicket, ticket_id)  # the customer's own, else 404


def photo_routes(
    endpoint: str,
    record: str,
    photo_model: type,
    load: Callable[[int], Any],
    roles,
    *,
    writable: bool,
) -> None:
    """Register ``{record}/photos`` (list; upload when ``writable``) and
    ``{record}/photos/<photo_id>`` (the bytes) for the records ``load`` finds in the
    caller's scope (else 404); ``record`` is the record's route with its id
    (``<int:ticket_id>``), the key its photos name it by; ``endpoint`` names the views
    (``{endpoint}Photos``, ``{endpoint}Photo``)."""
    name, key = NAMES[photo_model], RECORD_ID.findall(record)[0]
    missing = f"No such {name.removeprefix('the ')}, or not yours"

    @api_roles(*roles)
    @blp.response(200, PhotoListSchema)
    @blp.alt_response(404, description=missing)
    @blp.doc(summary=f"The photos of {name}, oldest first")
    def listing(self, **ids: int):
        record_id = ids[key]
        load(record_id)
        return {"items": ticket_photos.listed(photo_model, record_id)}

    @api_roles(*roles)
    @blp.arguments(PhotoUploadSchema, location="files")
    @blp.response(201, PhotoListSchema)
    @blp.alt_response(404, description=missing)
    @blp.doc(summary=f"Add photos to {name} (JPG / PNG, 5 MB each, 6 in all)")
    def upload(self, body, **ids: int):
        record_id = ids[key]
        record = load(record_id)
        files = [(f.filename or "photo", f.read()) for f in body["photos"]]
        user_id = required_principal().user_id
        ticket_photos.add_photos(record, files, photo_model, taken_by=user_id)
        return {"items": ticket_photos.listed(photo_model, record_id)}

    @api_roles(*roles)
    @blp.alt_response(404, description=f"{missing}; or not its photo")
    @blp.doc(summary=f"One photo of {name}", responses={"200": IMAGE_ANSWER})
    def one(self, photo_id: int, **ids: int):
        record_id = ids[key]
        load(record_id)
        photo = ticket_photos.photo_of(photo_model, record_id, photo_id)
        return ticket_photos.photo_response(photo)

    methods = {"get": listing, "post": upload} if writable else {"get": listing}
    photos = accepts_upload(ticket_photos.PHOTO_BODY_BYTES)(
        type(f"{endpoint}Photos", (MethodView,), methods)
    )
    blp.route(f"{record}/photos")(photos)
    photo = type(f"{endpoint}Photo", (MethodView,), {"get": one})
    blp.route(f"{record}/photos/<int:photo_id>")(photo)


TICKET = "/service-tickets/<int:ticket_id>"
CONSIGNMENT = "/consignments/<int:consignment_id>"
INSPECTION = "/appointments/<int:appointment_id>/outcome"
photo_routes("Ticket", TICKET, ServiceTicketPhoto, _ticket, STAFF, writable=True)
photo_routes("Consignment", CONSIGNMENT, ConsignmentPhoto, _consignment, STAFF, writable=True)
photo_routes("Inspection", INSPECTION, InspectionPhoto, _inspection, STAFF, writable=True)
photo_routes(
    "MyTicket", f"/mp{TICKET}", ServiceTicketPhoto, _my_ticket, (CUSTOMER,), writable=False
)
