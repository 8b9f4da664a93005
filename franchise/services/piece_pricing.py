"""Pricing a registered piece by its own weight (issue 19, 一物一码).

Every piece of a by-weight product has its own weight, so its price is its own:
``pricing.unit_price(piece.weight_mg, today's metal price, labour per gram, labour per
piece)``, rounded once like every by-weight price. ``pick`` chooses the piece an order
line sells before the line is priced: the one the customer named (``piece_id``), else the
first in stock (the customer's store first, then by id), and locks it for the
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: a concurrent order skips it and
takes the next, so the price charged is the price of the piece held; on SQLite the
database's write lock is taken first, ``app.db.lock_row``). ``ranges`` and
``on_sale`` are the mini-program's view: a product's lowest and highest piece price
today, and the pieces for sale each with its price.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from app.db import is_postgres, lock_row
from app.extensions import db
from app.i18n import tr
from franchise.models import BY_WEIGHT, PIECE_IN_STOCK, OrderLine, Piece, Product, ProductPricing
from franchise.services.base import invalid
from franchise.services.pieces import piece_taken
from franchise.services.pricing import chosen_variants, latest_price, piece_price

MAX_LISTED = 50


def chosen_pieces(items: list[dict]) -> dict[int, int]:
    """``{product_id: piece_id}`` from an order's items (a piece is one product's)."""
    return {
        item["product_id"]: item["piece_id"]
        for item in items
        if item.get("piece_id") is not None and isinstance(item.get("product_id"), int)
    }


def pick(
    product_id: int,
    name: str,
    store_id: int | None,
    variant_id: int | None,
    piece_id: int | None,
) -> Piece | None:
    """The piece a line of a registered product sells, locked until the commit; None
    when none is in stock (the hold then answers 409). A named piece that is not the
    product's (or not the size chosen) is 422 ``piece_id``; one already taken is 409."""
    stmt = select(Piece).where(Piece.product_id == product_id)
    if piece_id is not None:
        named = db.session.get(Piece, piece_id)
        if named is None or named.product_id != product_id:
            raise invalid("piece_id", tr("Not a piece of %(name)s.", name=name))
        if variant_id is not None and named.variant_id != variant_id:
            raise invalid("piece_id", tr("This piece is not in the size chosen."))
        stmt = stmt.where(Piece.id == piece_id)
    elif variant_id is not None:
        stmt = stmt.where(Piece.variant_id == variant_id)
    own_store_first = case((Piece.store_id == store_id, 0), else_=1)
    stmt = stmt.where(Piece.status == PIECE_IN_STOCK).order_by(own_store_first, Piece.id)
    if is_postgres(db.engine):
        stmt = stmt.with_for_update(skip_locked=True, of=Piece)
    else:  # SQLite: take the database's write lock first, then read the latest commit
        lock_row(db.session, Product, product_id)
    piece = db.session.scalars(stmt.limit(1)).first()
    if piece is None and piece_id is not None:
        raise piece_taken(name)
    return piece


def _one_piece(line: OrderLine) -> None:
    """A line that sells a registered piece sells one (each has its own weight)."""
    if line.quantity != 1:
        message = tr("One piece of %(name)s per order: each has its own weight.", name=line.name)
        raise invalid("items", message)


def sale_pieces(items: list[dict], lines: list[OrderLine], store_id: int) -> dict[int, Piece]:
    """``{product_id: piece}`` of a guide's in-store sale: the items naming a
    ``piece_serial``, each a piece of the line's product in stock at the guide's store
    (422 ``piece_serial`` otherwise; 409 when another order holds it)."""
    by_product = {line.product_id: line for line in lines}
    picked: dict[int, Piece] = {}
    for item in items:
        serial = (item.get("piece_serial") or "").strip()
        line = by_product.get(item.get("product_id"))  # type: ignore[arg-type]
        if not serial or line is None:
            continue
        piece = db.session.scalars(select(Piece).where(Piece.serial == serial)).first()
        if piece is None or piece.product_id != line.product_id:
            message = tr("No piece %(serial)s of %(name)s.", serial=serial, name=line.name)
            raise invalid("piece_serial", message)
        if piece.store_id != store_id:
            raise invalid("piece_serial", tr("This piece is not at your store."))
        if piece.status != PIECE_IN_STOCK:
            raise piece_taken(line.name)
        _one_piece(line)
        picked[line.product_id] = piece
    return picked


def pick_for_lines(
    lines: list[OrderLine],
    items: list[dict],
    store_id: int | None,
    pricing_rows: dict[int, ProductPricing] | None = None,
) -> dict[int, Piece]:
    """``{product_id: piece}`` for the order's lines that sell a registered piece: every
    line of a registered by-weight product (its price is the piece's) and any line that
    names a ``piece_id``. Such a line sells one piece (422 ``items`` otherwise). Lines
    go in product id order, the order the pieces and the stock are then taken in.
    ``pricing_rows``: the lines' pricing rows when the caller has read them already."""
    named = chosen_pieces(items)
    variants = chosen_variants(items)
    if pricing_rows is None:
        pricing_rows = {
            row.product_id: row
            for row in db.session.scalars(
                select(ProductPricing).where(
                    ProductPricing.product_id.in_([line.product_id for line in lines])
                )
            )
        }
    rows = {pid: row for pid, row in pricing_rows.items() if row.tracks_pieces}
    picked: dict[int, Piece] = {}
    for line in sorted(lines, key=lambda line: line.product_id):
        row = rows.get(line.product_id)
        if row is None:
            if line.product_id in named:
                raise invalid("piece_id", tr("%(name)s is not sold by the piece.", name=line.name))
            continue
        if row.pricing != BY_WEIGHT and line.product_id not in named:
            continue
        _one_piece(line)
        piece = pick(
            line.product_id,
            line.name,
            store_id,
            variants.get(line.product_id),
            named.get(line.product_id),
        )
        if piece is not None:
            picked[line.product_id] = piece
    return picked


def ranges(product_ids: list[int]) -> dict[int, dict]:
    """``{product_id: {"min_fen", "max_fen", "pieces"}}`` over the pieces in stock of the
    registered by-weight products among ``product_ids`` at today's price (one query:
    the price grows with the weight, so the lightest and heaviest piece bound it)."""
    rows = db.session.execute(
        select(
            ProductPricing,
            func.min(Piece.weight_mg),
            func.max(Piece.weight_mg),
            func.count(Piece.id),
        )
        .join(Piece, Piece.product_id == ProductPricing.product_id)
        .where(
            ProductPricing.product_id.in_(product_ids),
            ProductPricing.pricing == BY_WEIGHT,
            ProductPricing.tracks_pieces.is_(True),
            Piece.status == PIECE_IN_STOCK,
        )
        .group_by(ProductPricing.product_id)
    ).all()
    answer: dict[int, dict] = {}
    for row, lightest, heaviest, count in rows:
        board = latest_price(row.metal or "")
        if board is None:
            continue
        answer[row.product_id] = {
            "min_fen": piece_price(row, lightest, board.sell_fen_per_gram),
            "max_fen": piece_price(row, heaviest, board.sell_fen_per_gram),
            "pieces": count,
        }
    return answer


def on_sale(row: ProductPricing) -> list[dict]:
    """The pieces in stock of a registered by-weight product, each with today's price
    (lightest first, at most ``MAX_LISTED``)."""
    board = latest_price(row.metal or "")
    if board is None or row.pricing != BY_WEIGHT or not row.tracks_pieces:
        return []
    pieces = db.session.scalars(
        select(Piece)
        .options(joinedload(Piece.store))
        .where(Piece.product_id == row.product_id, Piece.status == PIECE_IN_STOCK)
        .order_by(Piece.weight_mg, Piece.id)
        .limit(MAX_LISTED)
    )
    return [
        {
            "id": p.id,
            "serial": p.serial,
            "weight_mg": p.weight_mg,
            "purity": p.purity,
            "certificate_no": p.certificate_no,
            "store_id": p.store_id,
            "store_name": p.store.name,
            "variant_id": p.variant_id,
            "price_fen": piece_price(row, p.weight_mg, board.sell_fen_per_gram),
        }
        for p in pieces
    ]


def decorate(products: list, with_pieces: bool = False) -> list:
    """Attach ``price_range`` (None unless a registered by-weight product has pieces in
    stock) and, for one product's page (``with_pieces``), ``pieces`` with their prices."""
    found = ranges([p.id for p in products])
    for product in products:
        product.price_range = found.get(product.id)
        row = getattr(product, "pricing_detail", None)
        product.pieces = on_sale(row) if with_pieces and row is not None else []
    return products
