"""Marshmallow schemas of the metal price board's import (issue 19): one row of the
day's board as a feed or an upload carries it, the API body, and the preview answer.

A row is ``date`` (ISO, the Shanghai day), ``metal`` (gold, platinum, silver),
``purity`` (free text such as 足金999), ``buy_price`` (what a customer pays per gram, the
board's sell price) and ``buyback_price`` (what the store pays per gram for old metal),
both in yuan with at most two decimals, read by the one money parser (``app.money.Yuan``).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from app.money import Yuan
from app.schemas import Text
from franchise.models import METALS
from franchise.services.pricing import MAX_METAL_FEN_PER_GRAM

BOARD_COLUMNS = ("date", "metal", "purity", "buy_price", "buyback_price")
MAX_BOARD_ROWS = 30


class BoardRowSchema(Schema):
    """One row of an imported board; unknown columns are refused by name."""

    class Meta:
        unknown = RAISE

    date = fields.Date(required=True)
    metal = fields.String(required=True, validate=validate.OneOf(METALS))
    purity = Text(load_default="", validate=validate.Length(max=16))
    buy_price = Yuan(required=True, lo=1, hi=MAX_METAL_FEN_PER_GRAM)
    buyback_price = Yuan(required=True, lo=1, hi=MAX_METAL_FEN_PER_GRAM)


class BoardImportSchema(Schema):
    """``POST /api/v1/metal-prices/import``: the rows, and whether to write them
    (``confirm``) or only preview what would change."""

    rows = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1))
    confirm = fields.Boolean(load_default=False)


class BoardChangeSchema(Schema):
    metal = fields.String()
    purity = fields.String()
    old_sell_fen_per_gram = fields.Integer(allow_none=True)
    new_sell_fen_per_gram = fields.Integer()
    old_buyback_fen_per_gram = fields.Integer(allow_none=True)
    new_buyback_fen_per_gram = fields.Integer()
    change_pct = fields.String(allow_none=True, metadata={"description": "e.g. '+1.25'"})
    skus_moving = fields.Integer(metadata={"description": "by-weight SKUs whose price moves"})


class BoardImportAnswerSchema(Schema):
    written = fields.Boolean()
    changes = fields.List(fields.Nested(BoardChangeSchema))
    repriced_products = fields.Integer(allow_none=True)
