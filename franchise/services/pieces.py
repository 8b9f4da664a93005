"""The piece registry (一物一码): every physical piece of a registered product.

A product whose pricing ``tracks_pieces`` is stocked by registering pieces: each piece
has a unique serial, a certificate (number and lab), its weight and purity and the store
holding it. Registering a piece adds one to ``products.stock`` in the same transaction,
so the counter the order path takes (``order_lines.take_stocks``) always equals the pieces
in stock; the pieces themselves are what an order sells.

``hold_for_order`` (one insertion in ``orders.create_order``, before the stock is
taken) gives every line of a registered product specific pieces, the customer's store's
first: one conditional ``UPDATE … WHERE status = 'in_stock'`` per piece, so under
concurrent orders a piece goes to exactly one of them (on PostgreSQL the second waits
on the row lock and then finds it taken); an order that cannot get its pieces answers
409 ``piece_taken`` and changes nothing. Cancelling or closing the unpaid order gives
the pieces back (``release``, from ``orders._release``). A piece held by a paid order is
sold: the customer sees it (``customer_pieces_stmt``), and so does their guide.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Select, case, select, update
from sqlalchemy.engine import CursorResult

from app.auth.principal import Principal
from app.errors import Conflict
from app.extensions import db
from app.i18n import tr
from app.list_query import search, where_given
from app.web.labels import word
from franchise.models import (
    PIECE_DEFECTIVE,
    PIECE_HELD,
    PIECE_IN_STOCK,
    REFUNDED,
    Order,
    OrderLine,
    Piece,
    Product,
    ProductPricing,
    ProductVariant,
    Store,
)
from franchise.services.base import (
    committed,
    ensure_unique,
    get_or_invalid,
    invalid,
)
from franchise.services.pricing import MAX_WEIGHT_MG, pricing_of

PIECE_FIELDS = ("serial", "certificate_no", "certificate_lab", "weight_mg", "purity")


def register(data: dict, principal: Principal) -> Piece:
    """Register a piece at a store (HQ anywhere, an owner at their own stores); adds one
    to the product's stock. 422 naming the field for a product that does not track
    pieces, a variant not the product's, a weight out of bounds; 409 for a taken serial."""
    with committed(keep_loaded=True):
        product = get_or_invalid(Product, data.get("product_id"), "product_id")
        row = pricing_of(product.id)
        if row is None or not row.tracks_pieces:
            raise invalid("product_id", "This product is not stocked by registered pieces.")
        store = get_or_invalid(Store, data.get("store_id"), "store_id")
        if not principal.is_hq and store.franchisee_id != principal.franchisee_id:
            raise invalid("store_id", "No such store.")
        variant_id = data.get("variant_id")
        if variant_id is not None:
            variant = db.session.get(ProductVariant, variant_id)
            if variant is None or variant.product_id != product.id:
                raise invalid("variant_id", "The product is not offered in that size.")
        if not 1 <= (data.get("weight_mg") or 0) <= MAX_WEIGHT_MG:
            raise invalid("weight_mg", "A weight between 1 mg and 5 kg.")
        ensure_unique(Piece, "serial", data["serial"], "serial", "serial")
        piece = Piece(
            product_id=product.id,
            variant_id=variant_id,
            store_id=store.id,
            franchisee_id=store.franchisee_id,
            status=PIECE_IN_STOCK,
            **{k: data.get(k) or "" for k in PIECE_FIELDS if k != "weight_mg"},
            weight_mg=data["weight_mg"],
        )
        db.session.add(piece)
        db.session.execute(
            update(Product)
            .where(Product.id == product.id)
            .values(stock=Product.stock + 1)
            .execution_options(synchronize_session=False)
        )
    return piece


def _hold(piece_id: int, order: Order, line: OrderLine) -> bool:
    """Take one piece for the order line if it is still in stock (atomic)."""
    result = db.session.execute(
        update(Piece)
        .where(Piece.id == piece_id, Piece.status == PIECE_IN_STOCK)
        .values(
            status=PIECE_HELD,
            order_id=order.id,
            order_line_id=line.id,
            customer_id=order.customer_id,
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount == 1


def hold_for_order(
    order: Order,
    lines: list[OrderLine],
    variants: dict[int, int],
    picked: dict[int, Piece] | None = None,
    tracked: set[int] | None = None,
) -> None:
    """Hold ``quantity`` pieces for each line of a registered product (``variants``:
    the line's chosen variant per product id); 409 ``piece_taken`` when too few are left.
    A line whose piece was picked (and priced) before (``piece_pricing.pick_for_lines``)
    holds exactly that piece. ``tracked``: the product ids sold piece by piece, as
    ``pricing.price_order_lines`` read them (read here when not given). Lines go in
    product id order, the order the stock is then taken in."""
    picked = picked or {}
    if tracked is None:
        tracked = set(
            db.session.scalars(
                select(ProductPricing.product_id).where(
                    ProductPricing.product_id.in_([line.product_id for line in lines]),
                    ProductPricing.tracks_pieces.is_(True),
                )
            )
        )
    for line in sorted(lines, key=lambda line: line.product_id):
        if line.product_id in picked:
            if not _hold(picked[line.product_id].id, order, line):
                raise piece_taken(line.name)
            continue
        if line.product_id not in tracked:
            continue
        stmt = select(Piece.id).where(
            Piece.product_id == line.product_id, Piece.status == PIECE_IN_STOCK
        )
        if line.product_id in variants:
            stmt = stmt.where(Piece.variant_id == variants[line.product_id])
        own_store_first = case((Piece.store_id == order.store_id, 0), else_=1)
        candidates = db.session.scalars(stmt.order_by(own_store_first, Piece.id)).all()
        held = 0
        for piece_id in candidates:
            if held == line.quantity:
                break
            held += _hold(piece_id, order, line)
        if held < line.quantity:
            raise piece_taken(line.name)


def piece_taken(name: str) -> Conflict:
    """409 ``piece_taken``: the order cannot get a piece of ``name``."""
    return Conflict(
        tr("No piece of %(name)s is left for this order.", name=name),
        code="piece_taken",
        errors={"items": [tr("No piece of %(name)s is left.", name=name)]},
    )


def release(order: Order) -> None:
    """Give back the pieces an unpaid order held (cancelled or closed)."""
    db.session.execute(
        update(Piece)
        .where(Piece.order_id == order.id)
        .values(status=PIECE_IN_STOCK, order_id=None, order_line_id=None, customer_id=None)
        .execution_options(synchronize_session=False)
    )


def set_aside_defective(order: Order) -> int:
    """The pieces ``order`` sold come back to their store found defective (an O2O
    inspection's exchange): never in stock again, off the customer, ``order_id`` kept
    as the order they left. Runs in the caller's transaction; how many."""
    result = db.session.execute(
        update(Piece)
        .where(Piece.order_id == order.id, Piece.status == PIECE_HELD)
        .values(status=PIECE_DEFECTIVE, order_line_id=None, customer_id=None)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount


def sold_clause():
    """Pieces whose order is paid and not fully refunded."""
    return Piece.order_id.in_(
        select(Order.id).where(Order.paid_at.is_not(None), Order.status != REFUNDED)
    )


def customer_pieces_stmt(customer_id: int) -> Select:
    """The pieces a customer owns (bought on paid orders), newest first."""
    return (
        select(Piece)
        .where(Piece.customer_id == customer_id, Piece.status == PIECE_HELD, sold_clause())
        .order_by(Piece.id.desc())
    )


def piece_stmt(args: dict) -> Select:
    """The registry listing: filters ``product_id``, ``store_id``, ``status`` (in_stock,
    held, sold, defective) and ``q`` (serial or certificate number)."""
    stmt = select(Piece).order_by(Piece.id.desc())
    stmt = where_given(stmt, Piece, args, ("product_id", "store_id"))
    status = args.get("status")
    if status in (PIECE_IN_STOCK, PIECE_DEFECTIVE):
        stmt = stmt.where(Piece.status == status)
    elif status == "sold":
        stmt = stmt.where(Piece.status == PIECE_HELD, sold_clause())
    elif status == PIECE_HELD:
        stmt = stmt.where(Piece.status == PIECE_HELD, ~sold_clause())
    stmt = search(stmt, args.get("q"), Piece.serial, Piece.certificate_no)
    return stmt


def piece_state(piece: Piece) -> str:
    """``in_stock``, ``held`` (an unpaid order), ``sold`` or ``defective``."""
    if piece.status in (PIECE_IN_STOCK, PIECE_DEFECTIVE):
        return piece.status
    order = piece.order
    if order is not None and order.paid_at is not None and order.status != REFUNDED:
        return "sold"
    return PIECE_HELD


def state_label(piece: Piece) -> str:
    return word("piece_state", piece_state(piece))
