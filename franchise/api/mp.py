"""Mini-program API (``/api/v1/mp``): login, profile, nearest stores and appointments.

``POST /session`` is public: it exchanges a ``wx.login`` code, finds or creates the
customer and assigns them (``franchise.services.customers.login``), and returns a
customer bearer token. Everything under ``/me`` and the appointments need that token
(role ``customer``) and only ever touch the caller's own rows; ``/stores`` is public.
"""

from __future__ import annotations

import json

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.auth.decorators import api_roles
from app.auth.models import CUSTOMER
from app.auth.principal import issue_customer_token, required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.errors import NotFound
from app.extensions import db
from app.schemas import StrictFloat, Text, body_id, url_id
from franchise.api.members import member_payload
from franchise.models import APPOINTMENT_KINDS, Appointment, Customer, Store
from franchise.schemas import PublicStoreSchema
from franchise.services import appointments, customers
from franchise.services.base import invalid
from franchise.services.store_directory import nearest_open_stores

blp = Blueprint(
    "franchise_mp",
    __name__,
    url_prefix="/api/v1/mp",
    description="Mini-program: login, profile, stores, appointments",
)

LATITUDE = validate.Range(min=-90, max=90)
LONGITUDE = validate.Range(min=-180, max=180)


class SessionSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=128))
    share_code = Text(validate=validate.Length(min=1, max=32))
    latitude = StrictFloat(validate=LATITUDE)
    longitude = StrictFloat(validate=LONGITUDE)
    city = Text(validate=validate.Length(min=1, max=32))


class AssignmentSchema(Schema):
    id = fields.Integer()
    franchisee_id = fields.Integer()
    store_id = fields.Integer(allow_none=True)
    guide_id = fields.Integer(allow_none=True)


class SessionResultSchema(Schema):
    token = fields.String(required=True)
    created = fields.Boolean()
    customer = fields.Nested(AssignmentSchema, required=True)


class MeSchema(AssignmentSchema):
    nickname = fields.String()
    phone = fields.String(allow_none=True)
    birthday = fields.Date(allow_none=True)
    city = fields.String(allow_none=True)
    franchisee_name = fields.Function(lambda c: c.franchisee.name if c.franchisee else None)
    store_name = fields.Function(lambda c: c.store.name if c.store else None)
    guide_name = fields.Function(lambda c: c.guide.name if c.guide else None)
    assignment_rule = fields.String()
    value_tier = fields.String(allow_none=True)
    tier_label = fields.String(allow_none=True)
    # --- members: number, level, points, what expires soon (franchise.api.members)
    member = fields.Function(lambda c: member_payload(c.id))


class MeUpdateSchema(Schema):
    nickname = Text(validate=validate.Length(max=64))
    birthday = fields.Date(allow_none=True)
    city = Text(validate=validate.Length(min=1, max=32), allow_none=True)


class PhoneSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=128))


class NearbyQuerySchema(Schema):
    latitude = fields.Float(required=True, validate=LATITUDE)
    longitude = fields.Float(required=True, validate=LONGITUDE)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class NearbyStoreSchema(PublicStoreSchema):
    distance_km = fields.Float()


class SlotQuerySchema(Schema):
    date = fields.Date(required=True)


class SlotSchema(Schema):
    start = fields.DateTime()
    end = fields.DateTime()
    capacity = fields.Integer()
    booked = fields.Integer()
    remaining = fields.Integer()
    available = fields.Boolean()


class AppointmentCreateSchema(Schema):
    store_id = body_id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(APPOINTMENT_KINDS))
    slot_start = fields.AwareDateTime(required=True, default_timezone=None)
    order_id = body_id()
    note = Text(validate=validate.Length(max=255))


class AppointmentSchema(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    store_name = fields.Function(lambda a: a.store.name if a.store else None)
    kind = fields.String()
    slot_start = fields.DateTime()
    status = fields.String()
    order_id = fields.Integer(allow_none=True)
    note = fields.String()


class AppointmentQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(("booked", "cancelled")))


def me() -> Customer:
    """The calling customer (404 if their row is gone)."""
    return get_scoped_or_404(Customer, required_principal().customer_id or 0)


@blp.route("/session")
class Session(MethodView):
    @blp.arguments(SessionSchema)
    @blp.response(200, SessionResultSchema)
    @blp.alt_response(401, description="The login code is invalid or already used")
    @blp.alt_response(503, description="No active franchisee, or WeChat unreachable")
    def post(self, body):
        """Log in with a ``wx.login`` code; the customer is created and assigned on first login."""
        if ("latitude" in body) != ("longitude" in body):
            raise invalid("longitude", "Send latitude and longitude together.")
        customer, created = customers.login(
            body["code"],
            body.get("share_code"),
            body.get("latitude"),
            body.get("longitude"),
            body.get("city"),
        )
        return {
            "token": issue_customer_token(customer.id),
            "created": created,
            "customer": customer,
        }


@blp.route("/me")
class Me(MethodView):
    @api_roles(CUSTOMER)
    @blp.response(200, MeSchema)
    def get(self):
        """My profile, owner (franchisee, store, guide) and value tier."""
        return me()

    @api_roles(CUSTOMER)
    @blp.arguments(MeUpdateSchema)
    @blp.response(200, MeSchema)
    def patch(self, body):
        """Change my nickname, birthday or city."""
        return customers.update_profile(me(), body)


@blp.route("/me/phone")
class MePhone(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(PhoneSchema)
    @blp.response(200, MeSchema)
    @blp.alt_response(422, description="The phone code is invalid or used")
    def post(self, body):
        """Bind my phone number from a ``getPhoneNumber`` code."""
        return customers.bind_phone(me(), body["code"])


@blp.route("/stores")
class NearbyStores(MethodView):
    @blp.arguments(NearbyQuerySchema, location="query")
    @blp.response(200, NearbyStoreSchema(many=True))
    def get(self, args):
        """Nearest open stores with their distance in km (public).

        Served from the in-memory store directory (``franchise.services.store_directory``)
        and written straight to JSON: the items are already in ``NearbyStoreSchema``'s shape.
        """
        stores = nearest_open_stores(args["latitude"], args["longitude"], args["limit"])
        return current_app.response_class(
            json.dumps(stores, ensure_ascii=False), mimetype="application/json"
        )


@blp.route("/stores/<int:store_id>/slots")
class StoreSlots(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(SlotQuerySchema, location="query")
    @blp.response(200, SlotSchema(many=True))
    @blp.alt_response(404, description="No such open store")
    def get(self, args, store_id):
        """Hourly slots (10:00–21:00 Shanghai) of a day with the remaining capacity."""
        store = db.session.get(Store, url_id(store_id))
        if store is None or not store.is_open:
            raise NotFound("Store not found")
        return appointments.day_slots(store, args["date"])


@blp.route("/appointments")
class Appointments(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(AppointmentQuerySchema, location="query")
    @blp.response(200, AppointmentSchema(many=True))
    def get(self, args):
        """My appointments, latest slot first."""
        stmt = (
            scoped(select(Appointment), Appointment)
            .order_by(Appointment.slot_start.desc())
            .limit(200)
        )
        if args.get("status"):
            stmt = stmt.where(Appointment.status == args["status"])
        return db.session.scalars(stmt).all()

    @api_roles(CUSTOMER)
    @blp.arguments(AppointmentCreateSchema)
    @blp.response(201, AppointmentSchema)
    @blp.alt_response(409, description="The slot is full, or already booked by me")
    @blp.alt_response(422, description="Not a slot start, in the past, or not my order")
    def post(self, body):
        """Book a try-on, maintenance or inspection (of my own order) in a store."""
        return appointments.book(me(), body)


@blp.route("/appointments/<int:appointment_id>/cancel")
class AppointmentCancel(MethodView):
    @api_roles(CUSTOMER)
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, description="No such appointment of mine")
    @blp.alt_response(409, description="Not booked, or already started")
    def post(self, appointment_id):
        """Cancel my appointment before it starts."""
        return appointments.cancel(get_scoped_or_404(Appointment, appointment_id))
