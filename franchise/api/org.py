"""JSON API for the organisation: regions, franchisees, stores and guides (``/api/v1``).

Who may do what:

* HQ (``hq_admin``, ``hq_operator``) reads everything, creates and edits everything.
* A franchise owner reads their own franchisee, stores and guides (and the regions they
  sit in), and may change only the phone and business hours of their own stores
  (``OwnerStoreUpdateSchema``); every other field answers 422, and another franchise's
  object answers 404.
* A guide reads their own guide record and their store.

Every query goes through ``app.auth.scope``; views call services and never commit.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404
from app.schemas import page_of
from franchise import services
from franchise.models import Franchisee, Guide, Store
from franchise.queries import (
    franchisee_stmt,
    get_region_or_404,
    guide_stmt,
    region_stmt,
    store_stmt,
)
from franchise.schemas import (
    FranchiseeCreateSchema,
    FranchiseePageSchema,
    FranchiseeQuerySchema,
    FranchiseeSchema,
    FranchiseeUpdateSchema,
    GuideCreateSchema,
    GuidePageSchema,
    GuideQuerySchema,
    GuideSchema,
    GuideUpdateSchema,
    OwnerStoreUpdateSchema,
    RegionCreateSchema,
    RegionPageSchema,
    RegionQuerySchema,
    RegionSchema,
    RegionUpdateSchema,
    StoreCreateSchema,
    StorePageSchema,
    StoreQuerySchema,
    StoreSchema,
    StoreUpdateSchema,
)

blp = Blueprint(
    "franchise_api",
    __name__,
    url_prefix="/api/v1",
    description="Organisation: regions, franchisees, stores and guides",
)

READERS = (*HQ_ROLES, FRANCHISE_OWNER)
STORE_READERS = (*HQ_ROLES, FRANCHISE_OWNER, GUIDE)


# --- regions ----------------------------------------------------------------------


@blp.route("/regions")
class Regions(MethodView):
    @api_roles(*READERS)
    @blp.arguments(RegionQuerySchema, location="query")
    @blp.response(200, RegionPageSchema)
    def get(self, args):
        """List regions (HQ: all; a franchise owner: their own region)."""
        return page_of(region_stmt(args), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(RegionCreateSchema)
    @blp.response(201, RegionSchema)
    @blp.alt_response(409, description="The code or a city is already taken")
    def post(self, body):
        """Create a region with its cities (HQ)."""
        return services.create_region(body)


@blp.route("/regions/<int:region_id>")
class RegionItem(MethodView):
    @api_roles(*READERS)
    @blp.response(200, RegionSchema)
    @blp.alt_response(404, description="No such region, or not yours")
    def get(self, region_id):
        """Show one region."""
        return get_region_or_404(region_id)

    @api_roles(*HQ_ROLES)
    @blp.arguments(RegionUpdateSchema)
    @blp.response(200, RegionSchema)
    @blp.alt_response(404, description="No such region")
    @blp.alt_response(409, description="A city belongs to another region")
    def patch(self, body, region_id):
        """Rename a region, replace its cities or set its default franchisee (HQ)."""
        return services.update_region(get_region_or_404(region_id), body)


# --- franchisees ------------------------------------------------------------------


@blp.route("/franchisees")
class Franchisees(MethodView):
    @api_roles(*READERS)
    @blp.arguments(FranchiseeQuerySchema, location="query")
    @blp.response(200, FranchiseePageSchema)
    def get(self, args):
        """List franchisees (filters: region_id, status, q)."""
        return page_of(franchisee_stmt(args), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(FranchiseeCreateSchema)
    @blp.response(201, FranchiseeSchema)
    @blp.alt_response(409, description="The sub-merchant id is already in use")
    def post(self, body):
        """Create a franchisee (HQ)."""
        return services.create_franchisee(body)


@blp.route("/franchisees/<int:franchisee_id>")
class FranchiseeItem(MethodView):
    @api_roles(*READERS)
    @blp.response(200, FranchiseeSchema)
    @blp.alt_response(404, description="No such franchisee, or not yours")
    def get(self, franchisee_id):
        """Show one franchisee."""
        return get_scoped_or_404(Franchisee, franchisee_id)

    @api_roles(*HQ_ROLES)
    @blp.arguments(FranchiseeUpdateSchema)
    @blp.response(200, FranchiseeSchema)
    @blp.alt_response(404, description="No such franchisee")
    @blp.alt_response(409, description="The sub-merchant id is already in use")
    def patch(self, body, franchisee_id):
        """Change a franchisee, including its sub-merchant id and HQ share (HQ)."""
        return services.update_franchisee(get_scoped_or_404(Franchisee, franchisee_id), body)


# --- stores -----------------------------------------------------------------------


@blp.route("/stores")
class Stores(MethodView):
    @api_roles(*STORE_READERS)
    @blp.arguments(StoreQuerySchema, location="query")
    @blp.response(200, StorePageSchema)
    def get(self, args):
        """List stores (filters: region_id, franchisee_id, city, is_open, q)."""
        return page_of(store_stmt(args), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(StoreCreateSchema)
    @blp.response(201, StoreSchema)
    @blp.alt_response(409, description="The store code is already in use")
    def post(self, body):
        """Create a store of a franchisee (HQ)."""
        return services.create_store(body)


@blp.route("/stores/<int:store_id>")
class StoreItem(MethodView):
    @api_roles(*STORE_READERS)
    @blp.response(200, StoreSchema)
    @blp.alt_response(404, description="No such store, or not yours")
    def get(self, store_id):
        """Show one store."""
        return get_scoped_or_404(Store, store_id)

    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(StoreUpdateSchema)
    @blp.response(200, StoreSchema)
    @blp.alt_response(404, description="No such store, or not yours")
    @blp.alt_response(409, description="The store code is already in use")
    def patch(self, body, store_id):
        """Change a store. HQ: any field (``is_open: false`` closes it).

        A franchise owner may send only ``phone`` and ``business_hours`` of their own
        stores (``OwnerStoreUpdateSchema``); any other field answers 422.
        """
        store = get_scoped_or_404(Store, store_id)
        if required_principal().is_hq:
            return services.update_store(store, body)
        try:
            owner_body = OwnerStoreUpdateSchema().load(request.get_json(silent=True) or {})
        except ValidationError as exc:
            raise services.Invalid(
                "The request has invalid fields.", errors=exc.normalized_messages()
            ) from exc
        return services.update_store_details(store, owner_body)


# --- guides -----------------------------------------------------------------------


@blp.route("/guides")
class Guides(MethodView):
    @api_roles(*STORE_READERS)
    @blp.arguments(GuideQuerySchema, location="query")
    @blp.response(200, GuidePageSchema)
    def get(self, args):
        """List guides (filters: store_id, franchisee_id, region_id, status, q)."""
        return page_of(guide_stmt(args), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(GuideCreateSchema)
    @blp.response(201, GuideSchema)
    @blp.alt_response(
        422, description="The WeCom userid is no directory member, or another guide's"
    )
    def post(self, body):
        """Create a guide in an open store (HQ)."""
        return services.create_guide(body)


@blp.route("/guides/<int:guide_id>")
class GuideItem(MethodView):
    @api_roles(*STORE_READERS)
    @blp.response(200, GuideSchema)
    @blp.alt_response(404, description="No such guide, or not yours")
    def get(self, guide_id):
        """Show one guide."""
        return get_scoped_or_404(Guide, guide_id)

    @api_roles(*HQ_ROLES)
    @blp.arguments(GuideUpdateSchema)
    @blp.response(200, GuideSchema)
    @blp.alt_response(404, description="No such guide")
    @blp.alt_response(
        422, description="The WeCom userid is no directory member, or another guide's"
    )
    def patch(self, body, guide_id):
        """Change a guide; a new store moves its franchisee; ``status: "left"`` = left (HQ)."""
        return services.update_guide(get_scoped_or_404(Guide, guide_id), body)
