"""Marshmallow schemas of the jewellery API (issue 19): the metal price board, product
pricing and variants, the mini-program's product listing with them, and the pieces.

Bodies use strict integers and bounded strings and refuse unknown fields; weights are
integer milligrams, prices integer fen. The pages load through the same schemas with money
typed in yuan (``app.money.Yuan``) and weights in grams (``Grams``): the ``*FormSchema``
subclasses below.
"""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate

from app.clock import shanghai_day
from app.money import Yuan
from app.schemas import PageQuerySchema, Text, body_id, page_schema, query_id
from app.web.i18n import N_
from franchise.api.orders import ProductSchema
from franchise.models import METALS, PRICING_MODES, VARIANT_KINDS
from franchise.schemas_common import SearchFilter
from franchise.services import piece_care, service_tickets
from franchise.services import pieces as piece_service
from franchise.services.catalog import MAX_PRICE_FEN
from franchise.services.pricing import (
    MAX_LABOUR_FEN_PER_GRAM,
    MAX_LABOUR_FEN_PER_PIECE,
    MAX_METAL_FEN_PER_GRAM,
    MAX_WEIGHT_MG,
)

WEIGHT = validate.Range(min=1, max=MAX_WEIGHT_MG)
PER_GRAM = validate.Range(min=1, max=MAX_METAL_FEN_PER_GRAM)
GRAMS = re.compile(r"\d{1,4}(\.\d{1,3})?")
GRAMS_MESSAGE = N_("Grams, up to three decimals.")


def grams_to_mg(text: str | None) -> int | None:
    """``"12.345"`` grams → 12345 mg; empty → None; anything else raises ValueError."""
    text = (text or "").strip()
    if not text:
        return None
    if not GRAMS.fullmatch(text):
        raise ValueError(text)
    whole, _dot, frac = text.partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


class Grams(fields.Field):
    """A weight typed in grams (up to three decimals) loaded as integer milligrams; dumped
    as grams to three decimals."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value / 1000:.3f}"

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return grams_to_mg(str(value))
        except ValueError:
            raise ValidationError(GRAMS_MESSAGE) from None


def _fen(high: int, low: int = 0, **kw) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high), **kw)


# --- the metal price board -----------------------------------------------------------


class MetalPriceCreateSchema(Schema):
    metal = fields.String(required=True, validate=validate.OneOf(METALS))
    sell_fen_per_gram = _fen(MAX_METAL_FEN_PER_GRAM, 1, required=True)
    buyback_fen_per_gram = _fen(MAX_METAL_FEN_PER_GRAM, 1, required=True)
    note = Text(load_default="", validate=validate.Length(max=255))


class MetalPriceFormSchema(MetalPriceCreateSchema):
    """The board's entry form: the API's body, prices typed in yuan per gram."""

    # the same keys, another field kind: marshmallow allows it, the checker cannot see it
    sell_fen_per_gram = Yuan(  # type: ignore[assignment]
        data_key="sell_yuan", required=True, lo=1, hi=MAX_METAL_FEN_PER_GRAM
    )
    buyback_fen_per_gram = Yuan(  # type: ignore[assignment]
        data_key="buyback_yuan", required=True, lo=1, hi=MAX_METAL_FEN_PER_GRAM
    )


class MetalPriceSchema(Schema):
    id = fields.Integer()
    metal = fields.String()
    day = fields.Date()
    sell_fen_per_gram = fields.Integer()
    buyback_fen_per_gram = fields.Integer()
    entered_by = fields.Function(lambda p: p.entered_by.username if p.entered_by else None)
    note = fields.String()
    created_at = fields.DateTime()


class MetalPriceRecordedSchema(MetalPriceSchema):
    repriced_products = fields.Integer()


class MetalPriceFilterSchema(Schema):
    """What the price history filters by, on the API and on the board page."""

    metal = fields.String(validate=validate.OneOf(METALS))
    date_from = fields.Date()
    date_to = fields.Date()


class MetalPriceQuerySchema(MetalPriceFilterSchema, PageQuerySchema):
    pass


def _today_fields() -> dict:
    answer: dict = {
        "date": fields.String(required=True),
        "updated_at": fields.DateTime(allow_none=True),
    }
    for metal in METALS:
        answer[f"{metal}_fen_per_gram"] = fields.Integer(allow_none=True)
        answer[f"{metal}_buyback_fen_per_gram"] = fields.Integer(allow_none=True)
        answer[f"{metal}_day"] = fields.String(allow_none=True)
    return answer


MetalPricesTodaySchema = Schema.from_dict(_today_fields(), name="MetalPricesToday")
MetalPricePageSchema = page_schema(MetalPriceSchema, "MetalPricePage")


# --- product pricing and variants ----------------------------------------------------


class PricingBodySchema(Schema):
    pricing = fields.String(required=True, validate=validate.OneOf(PRICING_MODES))
    metal = fields.String(allow_none=True, validate=validate.OneOf(METALS))
    weight_mg = fields.Integer(strict=True, allow_none=True, validate=WEIGHT)
    purity = Text(load_default="", validate=validate.Length(max=16))
    labour_fen_per_gram = _fen(MAX_LABOUR_FEN_PER_GRAM, load_default=0)
    labour_fen_per_piece = _fen(MAX_LABOUR_FEN_PER_PIECE, load_default=0)
    tracks_pieces = fields.Boolean(load_default=False)


class PricingFormSchema(PricingBodySchema):
    """The pricing page's form: the API's body, the weight in grams, labour in yuan."""

    weight_mg = Grams(allow_none=True, validate=WEIGHT)  # type: ignore[assignment]
    labour_fen_per_gram = Yuan(  # type: ignore[assignment]
        data_key="labour_gram_yuan", required=True, hi=MAX_LABOUR_FEN_PER_GRAM
    )
    labour_fen_per_piece = Yuan(  # type: ignore[assignment]
        data_key="labour_piece_yuan", required=True, hi=MAX_LABOUR_FEN_PER_PIECE
    )


class PricingSchema(Schema):
    pricing = fields.String()
    metal = fields.String(allow_none=True)
    weight_mg = fields.Integer(allow_none=True)
    purity = fields.String()
    labour_fen_per_gram = fields.Integer()
    labour_fen_per_piece = fields.Integer()
    tracks_pieces = fields.Boolean()


class VariantCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(VARIANT_KINDS))
    label = Text(required=True, validate=validate.Length(min=1, max=16))
    weight_mg = fields.Integer(strict=True, allow_none=True, validate=WEIGHT)
    price_fen = _fen(MAX_PRICE_FEN)


class VariantFormSchema(VariantCreateSchema):
    """The pricing page's size form: the API's body, the weight in grams."""

    weight_mg = Grams(allow_none=True, validate=WEIGHT)  # type: ignore[assignment]


class VariantSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    label = fields.String()
    weight_mg = fields.Integer(allow_none=True)
    price_fen = fields.Integer()
    is_active = fields.Boolean()


class PriceRangeSchema(Schema):
    min_fen = fields.Integer()
    max_fen = fields.Integer()
    pieces = fields.Integer(metadata={"description": "pieces in stock"})


class PieceOnSaleSchema(Schema):
    id = fields.Integer()
    serial = fields.String()
    weight_mg = fields.Integer()
    purity = fields.String()
    certificate_no = fields.String()
    store_id = fields.Integer()
    store_name = fields.String()
    variant_id = fields.Integer(allow_none=True)
    price_fen = fields.Integer(metadata={"description": "this piece's price today"})


class JewelleryProductSchema(ProductSchema):
    """A product as the mini-program lists it: ``pricing`` (``fixed`` | ``by_weight``),
    its components when by weight, and its variants; ``price_fen`` is today's price.
    A registered by-weight product prices each piece by its own weight: ``price_range``
    spans the pieces in stock, and one product's answer lists ``pieces`` with prices
    (order one with ``items[].piece_id``)."""

    pricing = fields.String()
    pricing_detail = fields.Nested(PricingSchema, allow_none=True)
    variants = fields.List(fields.Nested(VariantSchema))
    price_range = fields.Nested(PriceRangeSchema, allow_none=True)
    pieces = fields.List(fields.Nested(PieceOnSaleSchema))


JewelleryProductPageSchema = page_schema(JewelleryProductSchema, "JewelleryProductPage")


# --- pieces ------------------------------------------------------------------------


class PieceCreateSchema(Schema):
    serial = Text(
        required=True,
        validate=[validate.Length(min=1, max=32), validate.Regexp(r"^[A-Za-z0-9_.-]+$")],
    )
    product_id = body_id(required=True)
    variant_id = body_id(allow_none=True)
    store_id = body_id(required=True)
    certificate_no = Text(load_default="", validate=validate.Length(max=32))
    certificate_lab = Text(load_default="", validate=validate.Length(max=32))
    weight_mg = fields.Integer(strict=True, required=True, validate=WEIGHT)
    purity = Text(load_default="", validate=validate.Length(max=16))


class PieceSchema(Schema):
    id = fields.Integer()
    serial = fields.String()
    product_id = fields.Integer()
    product_name = fields.Function(lambda p: p.product.name if p.product else "")
    variant_label = fields.Function(lambda p: p.variant.label if p.variant else None)
    store_id = fields.Integer()
    store_name = fields.Function(lambda p: p.store.name if p.store else "")
    certificate_no = fields.String()
    certificate_lab = fields.String()
    weight_mg = fields.Integer()
    purity = fields.String()
    state = fields.Function(piece_service.piece_state)
    state_label = fields.Function(piece_service.state_label)
    order_no = fields.Function(lambda p: p.order.order_no if p.order else None)
    created_at = fields.DateTime()


class PieceFilters(Schema):
    """What a piece list filters by, on the API and on the admin page."""

    product_id = query_id()
    store_id = query_id()
    status = fields.String(validate=validate.OneOf(("in_stock", "held", "sold", "defective")))


class PieceQuerySchema(PieceFilters, PageQuerySchema):
    pass


class PieceFilterSchema(SearchFilter, PieceFilters):
    """The admin list's filters: the API's and a serial or certificate search."""


PiecePageSchema = page_schema(PieceSchema, "PiecePage")


def _care(piece, attribute: str):
    care = piece_care.of_piece(piece)
    return getattr(care, attribute) if care is not None else None


class OwnedPieceSchema(PieceSchema):
    """A piece the customer owns, with its care clock (``franchise.services.piece_care``):
    the next care date and kind (none when its product has no care interval)."""

    next_care_on = fields.Function(
        lambda p: (d := _care(p, "next_on")) and d.isoformat(), metadata={"format": "date"}
    )
    care_kind = fields.Function(lambda p: _care(p, "kind"))
    care_kind_label = fields.Function(
        lambda p: service_tickets.kind_label(k) if (k := _care(p, "kind")) else None
    )
    care_due = fields.Function(
        lambda p: (c := piece_care.of_piece(p)) is not None and c.is_due(shanghai_day())
    )


OwnedPiecePageSchema = page_schema(OwnedPieceSchema, "OwnedPiecePage")
