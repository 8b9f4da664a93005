"""How a jewel is priced: fixed, or by weight at the day's metal price plus labour.

``unit_price`` is the one formula::

    unit = round_half_up(weight_mg × (metal_fen_per_gram + labour_fen_per_gram) / 1000)
           + labour_fen_per_piece

in integer arithmetic (weights in milligrams, prices in fen), rounded once; the SQL of
``reprice_sql_value`` is the same expression, so the price written on every by-weight
product by a price change is the price an order computes. The bounds below keep the
largest by-weight price under ``catalog.MAX_PRICE_FEN``.

``configure`` sets a product's pricing (HQ), ``add_variant`` adds a size or length;
``price_order_lines`` is the one insertion in ``orders.create_order``: it applies the
variant's weight, recomputes by-weight units from today's board and snapshots every
component of every line (``OrderLinePricing``). A live campaign price (from
``CAMPAIGN_PRICING``) still replaces the unit, whatever the mode; coupons apply to the
order total as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, inspect, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.db import is_postgres
from app.extensions import db
from app.i18n import tr
from franchise.models import (
    BY_WEIGHT,
    FIXED,
    METALS,
    PRICING_MODES,
    VARIANT_KINDS,
    MetalPrice,
    Order,
    OrderLine,
    OrderLinePricing,
    Piece,
    Product,
    ProductPricing,
    ProductVariant,
)
from franchise.services.base import committed, invalid
from franchise.services.catalog import MAX_PRICE_FEN

MAX_WEIGHT_MG = 5_000_000  # 5 kg
MAX_METAL_FEN_PER_GRAM = 1_000_000  # ¥10,000 a gram
MAX_LABOUR_FEN_PER_GRAM = 100_000  # ¥1,000 a gram
MAX_LABOUR_FEN_PER_PIECE = 100_000_000  # ¥1,000,000 a piece
PRICE_RANGE = "The price must be between 0 and 100,000,000 yuan."  # catalog's message
assert (
    MAX_WEIGHT_MG * (MAX_METAL_FEN_PER_GRAM + MAX_LABOUR_FEN_PER_GRAM) // 1000
    + MAX_LABOUR_FEN_PER_PIECE
    <= MAX_PRICE_FEN
)


def unit_price(
    weight_mg: int, metal_fen_per_gram: int, labour_fen_per_gram: int, labour_fen_per_piece: int
) -> int:
    """A by-weight unit price in fen: weight × (metal + labour per gram), rounded half up
    once, plus labour per piece."""
    return (weight_mg * (metal_fen_per_gram + labour_fen_per_gram) + 500) // 1000 + (
        labour_fen_per_piece
    )


def reprice_sql_value(weight_mg, metal_fen_per_gram, labour_fen_per_gram, labour_fen_per_piece):
    """``unit_price`` as a SQL expression over columns or bound values (integer
    division on PostgreSQL and SQLite alike: every operand is an integer)."""
    product: ColumnElement[Any] = weight_mg * (metal_fen_per_gram + labour_fen_per_gram) + 500
    return product // 1000 + labour_fen_per_piece


def latest_price(metal: str) -> MetalPrice | None:
    """The metal's latest board entry (its price now), or None."""
    return db.session.scalars(
        select(MetalPrice).where(MetalPrice.metal == metal).order_by(MetalPrice.id.desc()).limit(1)
    ).first()


def pricing_of(product_id: int) -> ProductPricing | None:
    return db.session.get(ProductPricing, product_id)


# --- configuring a product ----------------------------------------------------------


def _bounded(data: dict, field: str, low: int, high: int, message: str) -> None:
    value = data.get(field)
    if value is not None and not low <= value <= high:
        raise invalid(field, message)


def _check_pricing(data: dict) -> None:
    """The rules of a pricing body (422 naming the field); the schema bounds them too."""
    if data.get("pricing") not in PRICING_MODES:
        raise invalid("pricing", "Fixed or by weight.")
    _bounded(data, "weight_mg", 1, MAX_WEIGHT_MG, "A weight between 1 mg and 5 kg.")
    _bounded(
        data,
        "labour_fen_per_gram",
        0,
        MAX_LABOUR_FEN_PER_GRAM,
        "Labour per gram between 0 and 1,000 yuan.",
    )
    _bounded(
        data,
        "labour_fen_per_piece",
        0,
        MAX_LABOUR_FEN_PER_PIECE,
        "Labour per piece between 0 and 1,000,000 yuan.",
    )
    if data["pricing"] == BY_WEIGHT:
        if data.get("metal") not in METALS:
            raise invalid("metal", "A by-weight product needs its metal.")
        if not data.get("weight_mg"):
            raise invalid("weight_mg", "A by-weight product needs its weight.")


def _today_price_or_invalid(metal: str, boards: dict[str, MetalPrice] | None = None) -> MetalPrice:
    """The metal's price now (``boards``: each metal's latest entry, when the caller read
    them already), else 422 on ``metal``."""
    price = latest_price(metal) if boards is None else boards.get(metal)
    if price is None:
        raise invalid("metal", "HQ has entered no price for this metal yet.")
    return price


def configure(product: Product, data: dict) -> ProductPricing:
    """Set how ``product`` is priced (commits). By weight: its list price (and its
    variants') becomes today's computed price at once."""
    with committed():
        _check_pricing(data)
        row = pricing_of(product.id) or ProductPricing(product_id=product.id)
        row.pricing = data["pricing"]
        row.metal = data.get("metal") if row.pricing == BY_WEIGHT else None
        row.weight_mg = data.get("weight_mg")
        row.purity = data.get("purity") or ""
        row.labour_fen_per_gram = data.get("labour_fen_per_gram") or 0
        row.labour_fen_per_piece = data.get("labour_fen_per_piece") or 0
        row.tracks_pieces = bool(data.get("tracks_pieces", row.tracks_pieces))
        db.session.add(row)
        if row.pricing == BY_WEIGHT:
            assert row.metal is not None and row.weight_mg is not None
            metal = _today_price_or_invalid(row.metal).sell_fen_per_gram
            product.price_fen = piece_price(row, row.weight_mg, metal)
            for variant in variants_of(product.id):
                variant.price_fen = piece_price(row, variant.weight_mg or row.weight_mg, metal)
    return row


def piece_price(row: ProductPricing, weight_mg: int, metal_fen_per_gram: int) -> int:
    """The price of a piece of ``weight_mg`` of the product priced by ``row``."""
    return unit_price(
        weight_mg, metal_fen_per_gram, row.labour_fen_per_gram, row.labour_fen_per_piece
    )


def variants_of(product_id: int) -> list[ProductVariant]:
    """Every variant of a product (on sale or not), by kind."""
    return list(
        db.session.scalars(
            select(ProductVariant)
            .where(ProductVariant.product_id == product_id)
            .order_by(ProductVariant.kind, ProductVariant.id)
        )
    )


def add_variant(product: Product, data: dict) -> ProductVariant:
    """Add a size / length / purity to ``product`` (commits); 409 when it exists."""
    with committed():
        if data.get("kind") not in VARIANT_KINDS:
            raise invalid("kind", "Ring size, chain length or purity.")
        _bounded(data, "weight_mg", 1, MAX_WEIGHT_MG, "A weight between 1 mg and 5 kg.")
        _bounded(data, "price_fen", 0, MAX_PRICE_FEN, PRICE_RANGE)
        clash = db.session.scalar(
            select(ProductVariant.id).where(
                ProductVariant.product_id == product.id,
                ProductVariant.kind == data["kind"],
                ProductVariant.label == data["label"],
            )
        )
        if clash is not None:
            raise invalid("label", "The product already has this variant.")
        row = pricing_of(product.id)
        price = data.get("price_fen", product.price_fen)
        if row is not None and row.pricing == BY_WEIGHT:
            assert row.metal is not None and row.weight_mg is not None
            metal = _today_price_or_invalid(row.metal).sell_fen_per_gram
            price = piece_price(row, data.get("weight_mg") or row.weight_mg, metal)
        variant = ProductVariant(
            product_id=product.id,
            kind=data["kind"],
            label=data["label"],
            weight_mg=data.get("weight_mg"),
            price_fen=price,
        )
        db.session.add(variant)
    return variant


# --- the mini-program's view ----------------------------------------------------------


def pricing_and_variants(
    product_ids: list[int],
) -> tuple[dict[int, ProductPricing], dict[int, list[ProductVariant]]]:
    """The pricing rows and the on-sale variants of ``product_ids``: two queries."""
    found = db.session.scalars(
        select(ProductPricing).where(ProductPricing.product_id.in_(product_ids))
    )
    rows = {r.product_id: r for r in found}
    variants: dict[int, list[ProductVariant]] = {}
    for variant in db.session.scalars(
        select(ProductVariant)
        .where(ProductVariant.product_id.in_(product_ids), ProductVariant.is_active.is_(True))
        .order_by(ProductVariant.kind, ProductVariant.id)
    ):
        variants.setdefault(variant.product_id, []).append(variant)
    return rows, variants


def decorate(products: list[Product]) -> list[Product]:
    """Attach ``pricing`` (mode), ``pricing_detail`` and ``variants`` to each product for
    the listing schemas: two queries for the page, not two per product."""
    rows, variants = pricing_and_variants([p.id for p in products])
    for product in products:
        row = rows.get(product.id)
        product.pricing = row.pricing if row else FIXED  # type: ignore[attr-defined]
        product.pricing_detail = row  # type: ignore[attr-defined]
        product.variants = variants.get(product.id, [])  # type: ignore[attr-defined]
    return products


# --- pricing an order's lines (inside orders.create_order's transaction) ------------


def chosen_variants(items: list[dict]) -> dict[int, int]:
    """``{product_id: variant_id}`` from the order's items; one variant per product."""
    chosen: dict[int, int] = {}
    for item in items:
        variant_id = item.get("variant_id")
        product_id = item.get("product_id")
        if variant_id is None or not isinstance(product_id, int):
            continue
        if chosen.setdefault(product_id, variant_id) != variant_id:
            raise invalid("variant_id", "One size of a product per order.")
    return chosen


def _variant_for(
    line: OrderLine, chosen: dict[int, int], offered: list[ProductVariant]
) -> ProductVariant | None:
    """The line's variant: the one chosen (it must be the product's and on sale), else
    none; a product that has variants needs one chosen (422 ``variant_id``)."""
    variant_id = chosen.get(line.product_id)
    if variant_id is None:
        if offered:
            raise invalid("variant_id", tr("Choose a size of %(name)s.", name=line.name))
        return None
    for variant in offered:
        if variant.id == variant_id:
            return variant
    raise invalid("variant_id", tr("%(name)s is not offered in that size.", name=line.name))


def price_order_lines(
    lines: list[OrderLine],
    items: list[dict],
    live: dict[int, int],
    picked: dict[int, Piece] | None = None,
    read: tuple[dict[int, ProductPricing], dict[int, list[ProductVariant]]] | None = None,
    boards: dict[str, MetalPrice] | None = None,
) -> set[int]:
    """Reprice and snapshot ``lines`` (see the module docstring); ``live`` are the
    campaign's unit prices, which win over the list price; ``picked`` the registered
    piece each line sells (``piece_pricing.pick_for_lines``): a by-weight line is priced
    by that piece's own weight. The snapshots hang on their lines and are written with
    the order, so nothing is pending before it is added. Returns the ids of the lines'
    products sold piece by piece (``tracks_pieces``), read from the same pricing rows,
    for ``pieces.hold_for_order``. ``read``: ``pricing_and_variants`` of the lines when
    the caller has read them already (order create reads them once), ``boards`` each
    metal's price now, read with them (``order_read``)."""
    chosen = chosen_variants(items)
    picked = picked or {}
    rows, variants = read or pricing_and_variants([line.product_id for line in lines])
    for line in lines:
        row = rows.get(line.product_id)
        variant = _variant_for(line, chosen, variants.get(line.product_id, []))
        piece = picked.get(line.product_id)
        snapshot = OrderLinePricing(
            line=line,
            pricing=row.pricing if row else FIXED,
            variant_id=variant.id if variant else None,
            variant_label=variant.label if variant else "",
            purity=row.purity if row else "",
            list_unit_fen=variant.price_fen if variant else line.unit_price_fen,
            live_price=line.product_id in live,
            piece_id=piece.id if piece else None,
            piece_serial=piece.serial if piece else "",
        )
        if row is not None and row.pricing == BY_WEIGHT:
            assert row.metal is not None and row.weight_mg is not None
            board = _today_price_or_invalid(row.metal, boards)
            weight = (variant.weight_mg if variant else None) or row.weight_mg
            if piece is not None:  # a registered piece: its own weight, its own price
                weight = piece.weight_mg
            snapshot.metal, snapshot.weight_mg = row.metal, weight
            snapshot.metal_price_id = board.id
            snapshot.metal_fen_per_gram = board.sell_fen_per_gram
            snapshot.labour_fen_per_gram = row.labour_fen_per_gram
            snapshot.labour_fen_per_piece = row.labour_fen_per_piece
            snapshot.list_unit_fen = piece_price(row, weight, board.sell_fen_per_gram)
        if not snapshot.live_price:
            line.unit_price_fen = snapshot.list_unit_fen
            line.line_total_fen = snapshot.list_unit_fen * line.quantity
    return {product_id for product_id, row in rows.items() if row.tracks_pieces}


SQLITE_REPRICE_BATCH = 5_000


def _reprice(metal: str, metal_fen_per_gram: int, window: tuple[int, int] | None) -> int:
    """The two set-based statements of a price change (``UPDATE products … FROM
    product_pricing`` and the same for variants), over every by-weight product of
    ``metal`` or those whose id is inside ``window``; a row whose price is already right
    is left alone. Returns how many products changed."""
    pp = ProductPricing
    scope = [pp.pricing == BY_WEIGHT, pp.metal == metal]
    if window is not None:
        scope.append(pp.product_id.between(*window))
    labour = (pp.labour_fen_per_gram, pp.labour_fen_per_piece)
    product_price = reprice_sql_value(pp.weight_mg, metal_fen_per_gram, *labour)
    products = db.session.execute(
        update(Product)
        .where(Product.id == pp.product_id, *scope, Product.price_fen != product_price)
        .values(price_fen=product_price)
        .execution_options(synchronize_session=False)
    )
    weight = func.coalesce(ProductVariant.weight_mg, pp.weight_mg)
    variant_price = reprice_sql_value(weight, metal_fen_per_gram, *labour)
    db.session.execute(
        update(ProductVariant)
        .where(
            ProductVariant.product_id == pp.product_id,
            *scope,
            ProductVariant.price_fen != variant_price,
        )
        .values(price_fen=variant_price)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(products, "rowcount", 0) or 0)


def reprice_metal(metal: str, metal_fen_per_gram: int) -> int:
    """Rewrite the list price of every by-weight product (and variant) of ``metal`` for
    ``metal_fen_per_gram``, inside the caller's transaction; returns how many products
    changed. PostgreSQL: one ``UPDATE … FROM`` per table, however many products.
    SQLite: the same statements over windows of ``SQLITE_REPRICE_BATCH`` product ids
    (each statement's join stays bounded; still one transaction, so all or nothing)."""
    if is_postgres(db.engine):
        return _reprice(metal, metal_fen_per_gram, None)
    ids = list(
        db.session.scalars(
            select(ProductPricing.product_id)
            .where(ProductPricing.pricing == BY_WEIGHT, ProductPricing.metal == metal)
            .order_by(ProductPricing.product_id)
        )
    )
    changed = 0
    for start in range(0, len(ids), SQLITE_REPRICE_BATCH):
        chunk = ids[start : start + SQLITE_REPRICE_BATCH]
        changed += _reprice(metal, metal_fen_per_gram, (chunk[0], chunk[-1]))
    return changed


SNAPSHOT_FIELDS = (
    "pricing",
    "variant_id",
    "variant_label",
    "metal",
    "purity",
    "weight_mg",
    "metal_price_id",
    "metal_fen_per_gram",
    "labour_fen_per_gram",
    "labour_fen_per_piece",
    "list_unit_fen",
    "live_price",
    "piece_id",
    "piece_serial",
)


def snapshot_dict(row: OrderLinePricing | None) -> dict | None:
    """The price components an order line was sold at, as a dict (None before issue 19)."""
    return None if row is None else {name: getattr(row, name) for name in SNAPSHOT_FIELDS}


# An order query's loader option: its lines, then every line's snapshot, one statement
# each for the whole page (a lazy load was one statement per order and one per line).
LINES_WITH_SNAPSHOTS = selectinload(Order.lines).selectinload(
    OrderLine.price_snapshot  # type: ignore[attr-defined]  # the backref of OrderLinePricing.line
)


# built once: a statement built per call cost more than the round trip it saved
_SNAPSHOTS_OF = select(OrderLinePricing).where(
    OrderLinePricing.line_id.in_(bindparam("line_ids", expanding=True))
)


def load_snapshots(lines: list[OrderLine]) -> None:
    """Load the snapshots of ``lines`` not loaded yet in one statement (an order already
    in hand: its detail answer, or the answer after a move)."""
    missing = [line for line in lines if "price_snapshot" in inspect(line).unloaded]
    if not missing:
        return
    rows = db.session.scalars(_SNAPSHOTS_OF, {"line_ids": [line.id for line in missing]})
    found = {row.line_id: row for row in rows}
    for line in missing:
        set_committed_value(line, "price_snapshot", found.get(line.id))
