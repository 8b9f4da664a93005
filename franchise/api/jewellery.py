"""Jewellery JSON API (issue 19): the metal price board, product pricing and variants,
and the piece registry.

* ``GET /api/v1/metal-prices/today`` (public, the contract): ``{"date",
  "gold_fen_per_gram", "gold_buyback_fen_per_gram", …}`` for gold, platinum, silver.
* ``GET /api/v1/metal-prices`` (staff: the history), ``POST`` (HQ: an entry; every
  by-weight product of the metal is repriced in the same commit).
* ``POST /api/v1/metal-prices/import`` (HQ): the day's board as rows (date, metal,
  purity, buy_price, buyback_price in yuan); answers what would change, and writes every
  row in one commit only with ``"confirm": true`` and only when every row passes (else
  422 naming ``rows.<n>.<field>``).
* ``GET/PUT /api/v1/products/{id}/pricing``, ``GET/POST /api/v1/products/{id}/variants``
  (HQ writes, staff read).
* ``GET/POST /api/v1/pieces`` (staff through the tenant scope; HQ and owners register),
  ``GET /api/v1/mp/pieces`` (a customer's own pieces, each with ``next_care_on`` and
  ``care_kind``: ``franchise.services.piece_care``).

Views call services and never commit.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.decorators import api_roles
from app.auth.models import CUSTOMER, FRANCHISE_OWNER, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.schemas import PageQuerySchema, page_of
from franchise.api.orders import STAFF, product_or_404
from franchise.models import FIXED, Piece, ProductPricing
from franchise.schemas_jewellery import (
    MetalPriceCreateSchema,
    MetalPricePageSchema,
    MetalPriceQuerySchema,
    MetalPriceRecordedSchema,
    MetalPricesTodaySchema,
    OwnedPiecePageSchema,
    PieceCreateSchema,
    PiecePageSchema,
    PieceQuerySchema,
    PieceSchema,
    PricingBodySchema,
    PricingSchema,
    VariantCreateSchema,
    VariantSchema,
)
from franchise.schemas_metal_board import BoardImportAnswerSchema, BoardImportSchema
from franchise.services import metal_board_import, metal_prices, pieces, pricing

blp = Blueprint(
    "jewellery_api",
    __name__,
    url_prefix="/api/v1",
    description="Metal prices, by-weight pricing, variants and the piece registry",
)


@blp.route("/metal-prices/today")
class MetalPricesToday(MethodView):
    @blp.response(200, MetalPricesTodaySchema)
    def get(self):
        """Today's sell and buy-back price per gram of each metal; no token needed."""
        return metal_prices.today()


@blp.route("/metal-prices")
class MetalPrices(MethodView):
    @api_roles(*STAFF)
    @blp.arguments(MetalPriceQuerySchema, location="query")
    @blp.response(200, MetalPricePageSchema)
    def get(self, args):
        """The board's history, newest first (filters: metal, date_from, date_to)."""
        return page_of(metal_prices.history_stmt(args), args)

    @api_roles(*HQ_ROLES)
    @blp.arguments(MetalPriceCreateSchema)
    @blp.response(201, MetalPriceRecordedSchema)
    def post(self, body):
        """Enter a metal's price (HQ); by-weight products follow in the same commit."""
        entry, repriced = metal_prices.record(body, required_principal().user_id)
        entry.repriced_products = repriced  # type: ignore[attr-defined]
        return entry


@blp.route("/metal-prices/import")
class MetalPriceImport(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(BoardImportSchema)
    @blp.response(200, BoardImportAnswerSchema)
    def post(self, body):
        """Preview (default) or confirm the day's board; all rows or nothing."""
        rows = metal_board_import.check_rows(body["rows"])
        answer = {"changes": metal_board_import.preview(rows), "written": False}
        if body["confirm"]:
            user_id = required_principal().user_id
            answer["repriced_products"] = metal_board_import.apply(rows, user_id, "api")
            answer["written"] = True
        return answer


@blp.route("/products/<int:product_id>/pricing")
class ProductPricingItem(MethodView):
    @api_roles(*STAFF)
    @blp.response(200, PricingSchema)
    def get(self, product_id):
        """How the product is priced (``fixed`` without a pricing row)."""
        product = product_or_404(product_id)
        return pricing.pricing_of(product.id) or ProductPricing(
            pricing=FIXED, purity="", labour_fen_per_gram=0, labour_fen_per_piece=0
        )

    @api_roles(*HQ_ROLES)
    @blp.arguments(PricingBodySchema)
    @blp.response(200, PricingSchema)
    def put(self, body, product_id):
        """Price the product fixed or by weight (HQ); by weight needs metal and weight."""
        return pricing.configure(product_or_404(product_id), body)


@blp.route("/products/<int:product_id>/variants")
class ProductVariants(MethodView):
    @api_roles(*STAFF)
    @blp.response(200, VariantSchema(many=True))
    def get(self, product_id):
        """The sizes / lengths / purities the product is offered in."""
        return pricing.variants_of(product_or_404(product_id).id)

    @api_roles(*HQ_ROLES)
    @blp.arguments(VariantCreateSchema)
    @blp.response(201, VariantSchema)
    def post(self, body, product_id):
        """Add a variant (HQ); a by-weight variant is priced from its own weight."""
        return pricing.add_variant(product_or_404(product_id), body)


@blp.route("/pieces")
class Pieces(MethodView):
    @api_roles(*STAFF)
    @blp.arguments(PieceQuerySchema, location="query")
    @blp.response(200, PiecePageSchema)
    def get(self, args):
        """The pieces the caller may see (filters: product, store, status, q)."""
        return page_of(scoped(pieces.piece_stmt(args), Piece), args)

    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(PieceCreateSchema)
    @blp.response(201, PieceSchema)
    def post(self, body):
        """Register a piece at a store; the product's stock grows by one."""
        return pieces.register(body, required_principal())


@blp.route("/mp/pieces")
class MyPieces(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, OwnedPiecePageSchema)
    def get(self, args):
        """The pieces I bought, with their certificates and when each is next due for care."""
        principal = required_principal()
        stmt = pieces.customer_pieces_stmt(principal.customer_id or 0)
        return page_of(scoped(stmt, Piece), args)
