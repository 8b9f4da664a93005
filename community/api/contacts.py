"""JSON API for WeCom contacts and 联系我 codes — a stable contract.

* ``GET /contacts?guide_id=&tag=&q=`` (HQ; an owner within their franchise; a guide their
  own): ``{"items","total","page","per_page"}`` of ``{"external_userid", "name",
  "customer_id", "guide_id", "tags", "added_at", "state"}`` (plus ``remark``,
  ``guide_name``, ``status``, ``welcome_status``); ``status`` filters active (default),
  deleted by the customer or by the guide.
* ``GET /contacts/{external_userid}``: one contact as the caller's newest follow of it
  shows it (another guide's or another franchise's contact is 404).
* ``GET /contacts/figures``: per guide in scope: contacts, new this week, deleted by
  customers.
* ``POST /guides/{id}/contact-way`` (HQ, the guide's owner, the guide themself):
  ``{"config_id", "qr_code", "state"}``, the guide's 联系我 code (``{"campaign_id"}`` for
  a live campaign's); another franchise's guide is 404; WeCom's refusal is 502 with
  WeCom's code and reason.
* ``GET /guides/{id}/contact-way.png``: that code as a PNG the guide can save.
* ``POST /stores/{id}/contact-way`` (HQ, the store's owner): the store's code, shared by
  its active guides in turn (a multi-person 联系我).
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, HQ_ROLES, STAFF_ROLES
from app.auth.scope import get_scoped_or_404
from app.errors import NotFound
from app.extensions import api_blueprint, db
from app.schemas import page_of
from community.models.contacts import ContactFollow
from community.schemas import (
    ContactPageSchema,
    ContactQuerySchema,
    ContactSchema,
    ContactWayBodySchema,
    ContactWaySchema,
    GuideContactFiguresSchema,
)
from community.services import contact_ways
from community.services.contact_list import contact_items, contact_stmt, guide_figures
from community.services.contact_qr import qr_png
from franchise.models import Guide, Store

blp = api_blueprint(
    "community_contacts_api",
    __name__,
    "Community: WeCom contacts (customers who added a guide) and 联系我 codes",
)

READERS = STAFF_ROLES


@blp.route("/contacts")
class Contacts(MethodView):
    @api_roles(*READERS)
    @blp.arguments(ContactQuerySchema, location="query")
    @blp.response(200, ContactPageSchema)
    def get(self, args):
        """List WeCom contacts (filters: guide_id, tag, q, status)."""
        page = page_of(contact_stmt(args), args)
        page["items"] = contact_items(list(page["items"]))
        return page


@blp.route("/contacts/<string:external_userid>")
class ContactItem(MethodView):
    @api_roles(*READERS)
    @blp.response(200, ContactSchema)
    @blp.alt_response(404, description="No such contact, or not yours")
    def get(self, external_userid):
        """One contact (the caller's newest relationship with them)."""
        stmt = contact_stmt({"status": "all"}).where(
            ContactFollow.external_userid == external_userid[:64]
        )
        follow = db.session.scalars(stmt.limit(1)).first()
        if follow is None:
            raise NotFound("Contact not found")
        return contact_items([follow])[0]


@blp.route("/contacts/figures")
class ContactFigures(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.response(200, GuideContactFiguresSchema(many=True))
    def get(self):
        """Per guide: contacts, new this week, deleted by customers."""
        return guide_figures()


@blp.route("/guides/<int:guide_id>/contact-way")
class GuideContactWay(MethodView):
    @api_roles(*READERS)
    @blp.arguments(ContactWayBodySchema)
    @blp.response(200, ContactWaySchema)
    @blp.alt_response(404, description="No such guide, or not yours")
    @blp.alt_response(502, description="WeCom refused the contact way (its code and reason)")
    def post(self, body, guide_id):
        """The guide's 联系我 code (created in WeCom on first use)."""
        guide = get_scoped_or_404(Guide, guide_id)
        if body.get("campaign_id"):
            return contact_ways.campaign_way(body["campaign_id"], guide)
        return contact_ways.guide_way(guide)


@blp.route("/guides/<int:guide_id>/contact-way.png")
class GuideContactWayPng(MethodView):
    @api_roles(*READERS)
    @blp.alt_response(404, description="No such guide, or not yours")
    def get(self, guide_id):
        """The guide's 联系我 code as a PNG."""
        way = contact_ways.guide_way(get_scoped_or_404(Guide, guide_id))
        return Response(
            qr_png(way.qr_code),
            mimetype="image/png",
            headers={"Content-Disposition": f'inline; filename="contact-way-{guide_id}.png"'},
        )


@blp.route("/stores/<int:store_id>/contact-way")
class StoreContactWay(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.response(200, ContactWaySchema)
    @blp.alt_response(404, description="No such store, or not yours")
    @blp.alt_response(422, description="The store has no active guide")
    @blp.alt_response(502, description="WeCom refused the contact way (its code and reason)")
    def post(self, store_id):
        """The store's 联系我 code (its active guides take the contacts in turn)."""
        return contact_ways.store_way(get_scoped_or_404(Store, store_id))
