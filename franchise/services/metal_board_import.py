"""Importing the day's metal price board from a file or a feed (issue 19).

The board arrives as CSV (a header naming the columns of
``schemas_metal_board.BOARD_COLUMNS``) or JSON (a list of row objects, or ``{"rows":
[...]}``). ``read_board`` parses it and loads every row through ``BoardRowSchema`` (yuan
by ``app.money``); then the rules a row alone cannot show: the date is today's Shanghai
day, the buy-back price is at most the buy price, each metal appears once. Every bad
row and field is collected and raised together as one 422 whose errors are named
``rows.<n>.<field>`` (``n`` counts data rows from 1), so nothing is written unless
every row passes.

``preview`` says what confirming would change, per metal: the old and new prices, the
change in percent and how many by-weight SKUs (products and variants) get a new price
(two counts in SQL, however many SKUs). ``apply`` writes every row and reprices in one
transaction through ``metal_prices.write_entry``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import ValidationError
from sqlalchemy import func, select

from app.clock import shanghai_day, utcnow
from app.extensions import db
from app.i18n import tr
from app.validation_messages import flat_errors
from franchise.models import BY_WEIGHT, MetalPrice, Product, ProductPricing, ProductVariant
from franchise.schemas_metal_board import BOARD_COLUMNS, MAX_BOARD_ROWS, BoardRowSchema
from franchise.services.base import Invalid, committed, invalid
from franchise.services.metal_prices import write_entry
from franchise.services.pricing import latest_price, reprice_sql_value

CSV, JSON = "csv", "json"


def _refused(errors: dict[str, list[str]]) -> Invalid:
    return Invalid("The price board has invalid rows; nothing was saved.", errors=errors)


def parse_rows(text: str, kind: str) -> list[dict]:
    """The raw rows of a CSV or JSON board (422 ``file`` when it is neither)."""
    text = text.lstrip("\ufeff")
    if kind == JSON:
        try:
            data = json.loads(text)
        except ValueError:
            raise invalid("file", "The file is not valid JSON.") from None
        rows = data.get("rows") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise invalid("file", 'JSON must be a list of rows, or {"rows": [...]}.')
        return rows
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in BOARD_COLUMNS if name not in header]
    if missing:
        raise invalid("file", tr("Missing columns: %(names)s.", names=", ".join(missing)))
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def kind_of(filename: str, content_type: str = "") -> str:
    """``json`` for a ``.json`` name or a JSON content type, else ``csv``."""
    if filename.lower().endswith(".json") or "json" in content_type.lower():
        return JSON
    return CSV


def check_rows(raw: list[dict], today: date | None = None) -> list[dict]:
    """Every row loaded and checked, or one 422 naming each bad ``rows.<n>.<field>``."""
    if not raw:
        raise invalid("file", "The board has no rows.")
    if len(raw) > MAX_BOARD_ROWS:
        raise invalid("file", tr("At most %(n)s rows.", n=MAX_BOARD_ROWS))
    today = today or shanghai_day(utcnow())
    errors: dict[str, list[str]] = {}
    rows: list[dict] = []
    seen: set[str] = set()
    for n, item in enumerate(raw, start=1):
        try:
            row = BoardRowSchema().load(item)
        except ValidationError as exc:
            errors.update(flat_errors(exc.messages, f"rows.{n}"))
            continue
        if row["date"] != today:
            errors[f"rows.{n}.date"] = [tr("Only today's board (%(day)s).", day=today)]
        if row["buyback_price"] > row["buy_price"]:
            errors[f"rows.{n}.buyback_price"] = [
                tr("The buy-back price cannot exceed the sell price.")
            ]
        if row["metal"] in seen:
            errors[f"rows.{n}.metal"] = [tr("This metal is on the board twice.")]
        seen.add(row["metal"])
        rows.append(row)
    if errors:
        raise _refused(errors)
    return rows


def read_board(text: str, kind: str) -> list[dict]:
    """Parse and check a board file in one call."""
    return check_rows(parse_rows(text, kind))


def _percent(old: int | None, new: int) -> str | None:
    if not old:
        return None
    change = (Decimal(new - old) * 100 / Decimal(old)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{change:+}"


def _moving(metal: str, sell: int) -> int:
    """How many by-weight SKUs of ``metal`` (products and variants) would get a new price
    at ``sell`` fen a gram."""
    pp = ProductPricing
    of_metal = (pp.pricing == BY_WEIGHT, pp.metal == metal)
    labour = (pp.labour_fen_per_gram, pp.labour_fen_per_piece)
    products = select(func.count()).where(
        Product.id == pp.product_id,
        *of_metal,
        Product.price_fen != reprice_sql_value(pp.weight_mg, sell, *labour),
    )
    variant_weight = func.coalesce(ProductVariant.weight_mg, pp.weight_mg)
    variants = select(func.count()).where(
        ProductVariant.product_id == pp.product_id,
        *of_metal,
        ProductVariant.price_fen != reprice_sql_value(variant_weight, sell, *labour),
    )
    return int(db.session.scalar(products) or 0) + int(db.session.scalar(variants) or 0)


def preview(rows: list[dict]) -> list[dict]:
    """What confirming ``rows`` changes, one dict per metal (writes nothing)."""
    changes = []
    for row in rows:
        old: MetalPrice | None = latest_price(row["metal"])
        changes.append(
            {
                "metal": row["metal"],
                "purity": row["purity"],
                "old_sell_fen_per_gram": old.sell_fen_per_gram if old else None,
                "new_sell_fen_per_gram": row["buy_price"],
                "old_buyback_fen_per_gram": old.buyback_fen_per_gram if old else None,
                "new_buyback_fen_per_gram": row["buyback_price"],
                "change_pct": _percent(old.sell_fen_per_gram if old else None, row["buy_price"]),
                "skus_moving": _moving(row["metal"], row["buy_price"]),
            }
        )
    return changes


def unchanged_today(rows: list[dict]) -> bool:
    """True when today's board already holds exactly these prices (a feed re-read)."""
    today = shanghai_day(utcnow())
    for row in rows:
        old = latest_price(row["metal"])
        if old is None or old.day != today:
            return False
        if (old.sell_fen_per_gram, old.buyback_fen_per_gram) != (
            row["buy_price"],
            row["buyback_price"],
        ):
            return False
    return True


def apply(rows: list[dict], user_id: int | None, source: str) -> int:
    """Write every row as a board entry and reprice (one commit); returns how many
    products were repriced. ``source`` (``upload``, ``api``, ``feed``) goes in the note."""
    repriced = 0
    with committed():
        for row in rows:
            note = " ".join(part for part in (tr("Imported"), source, row["purity"]) if part)
            data = {
                "metal": row["metal"],
                "sell_fen_per_gram": row["buy_price"],
                "buyback_fen_per_gram": row["buyback_price"],
                "note": note,
            }
            repriced += write_entry(data, user_id)[1]
    return repriced
