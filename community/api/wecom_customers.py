"""JSON API of the guide's WeCom customers: tags and hand-overs.

* ``GET /tags`` (every staff role): the library, groups with their tags and WeCom state.
* ``POST /tags`` (HQ): a tag group ``{"name", "tags": [...], "order"?}`` → 201; WeCom's
  ``add_corp_tag`` follows through the outbox.
* ``GET /customers/{id}/tags``, ``POST /customers/{id}/tags`` ``{"add", "remove"}``
  (HQ, an owner in scope, the customer's guide): the person's tags with WeCom's answer;
  another franchise's or guide's customer is 404.
* ``GET /tags/{id}/customers``: the ids and names of the customers in the caller's scope
  carrying the tag, paginated.
* ``POST /invite-codes`` (HQ) ``{"guide_id" | "store_id" | "campaign_id", "label"}`` →
  201 with the code's ``state``; its WeCom join code (``qr_url``) follows through the
  outbox. ``GET /invite-codes``: the codes in the caller's scope with their join codes.
* ``POST /transfers`` (HQ, an owner in scope) ``{"customer_ids", "takeover_guide_id"}``:
  hand customers to another guide through WeCom (在职继承); a customer outside the
  caller's scope is 404. ``GET /transfers?status=&reason=``: the hand-overs in scope.
"""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, HQ_ROLES, STAFF_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.extensions import api_blueprint
from app.list_query import where_given
from app.schemas import PageQuerySchema, page_of
from community.models.growth import InviteCode
from community.models.wecom_customers import CustomerTag, WecomTransfer
from community.schemas import (
    InviteCodeBodySchema,
    InviteCodePageSchema,
    InviteCodeSchema,
    PersonTagSchema,
    TagChangeSchema,
    TagCustomerQuerySchema,
    TaggedCustomerPageSchema,
    TagGroupCreateSchema,
    TagGroupSchema,
    TransferPageSchema,
    TransferQuerySchema,
    TransferRequestSchema,
    TransferSchema,
)
from community.services import fission, tag_links, tags, transfers
from franchise.models import Customer, Guide

blp = api_blueprint(
    "community_wecom_customers_api",
    __name__,
    "Community: customer tags (WeCom corp tags) and hand-over through WeCom",
)

READERS = STAFF_ROLES


@blp.route("/tags")
class Tags(MethodView):
    @api_roles(*READERS)
    @blp.response(200, TagGroupSchema(many=True))
    def get(self):
        """The tag library (live groups and tags) with each one's WeCom state."""
        return tags.library()

    @api_roles(*HQ_ROLES)
    @blp.arguments(TagGroupCreateSchema)
    @blp.response(201, TagGroupSchema)
    def post(self, data):
        """A tag group with its tags; WeCom's add_corp_tag follows after the commit."""
        return tags.create_group(data["name"], data["tags"], data["order"])


@blp.route("/customers/<int:customer_id>/tags")
class CustomerTags(MethodView):
    @api_roles(*READERS)
    @blp.response(200, PersonTagSchema(many=True))
    def get(self, customer_id: int):
        """The customer's tags (404 outside the caller's scope)."""
        return tag_links.tags_of(get_scoped_or_404(Customer, customer_id).id)

    @api_roles(*READERS)
    @blp.arguments(TagChangeSchema)
    @blp.response(200, PersonTagSchema(many=True))
    def post(self, data, customer_id: int):
        """Add / remove tags; WeCom's mark_tag follows for the customer's WeCom guide."""
        customer = get_scoped_or_404(Customer, customer_id)
        tag_links.set_tags(customer=customer, add=data["add"], remove=data["remove"])
        return tag_links.tags_of(customer_id)


@blp.route("/tags/<int:tag_id>/customers")
class TagCustomers(MethodView):
    @api_roles(*READERS)
    @blp.arguments(TagCustomerQuerySchema, location="query")
    @blp.response(200, TaggedCustomerPageSchema)
    def get(self, args, tag_id: int):
        """The customers in the caller's scope who carry the tag."""
        from app.extensions import db

        if db.session.get(CustomerTag, tag_id) is None:
            from flask_smorest import abort

            abort(404)
        stmt = (
            scoped(select(Customer), Customer)
            .where(Customer.id.in_(tag_links.customers_with_tag_stmt(tag_id)))
            .order_by(Customer.id)
        )
        return page_of(stmt, args)


@blp.route("/transfers")
class Transfers(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(TransferQuerySchema, location="query")
    @blp.response(200, TransferPageSchema)
    def get(self, args):
        """Hand-overs in the caller's scope with WeCom's outcome (refusals first)."""
        stmt = scoped(select(WecomTransfer), WecomTransfer)
        stmt = where_given(stmt, WecomTransfer, args, ("status", "reason"))
        return page_of(stmt.order_by(WecomTransfer.id.desc()), args)

    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(TransferRequestSchema)
    @blp.response(202, TransferSchema(many=True))
    def post(self, data):
        """Hand customers to another guide through WeCom (在职继承); a customer or guide
        outside the caller's scope is 404. WeCom customers move once WeCom says so."""
        takeover = get_scoped_or_404(Guide, data["takeover_guide_id"])
        customers = [
            get_scoped_or_404(Customer, cid) for cid in dict.fromkeys(data["customer_ids"])
        ]
        return transfers.move_customers(customers, takeover, required_principal().user_id)


@blp.route("/invite-codes")
class InviteCodes(MethodView):
    @api_roles(*STAFF_ROLES)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, InviteCodePageSchema)
    def get(self, args):
        """Invite codes in the caller's scope, newest first, with their WeCom join codes."""
        stmt = scoped(select(InviteCode), InviteCode).order_by(InviteCode.id.desc())
        return page_of(stmt, args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(InviteCodeBodySchema)
    @blp.response(201, InviteCodeSchema)
    def post(self, data):
        """A fission / store / campaign invite code; WeCom's join code follows the commit."""
        return fission.create_code(**data)
