"""An order's lines: the building blocks every path that writes an order shares (the
mini-program order ``orders.create_order``, the store sale ``store_sales``, the
replacement ``replacements``, the service quote ``service_tickets``).

* the limits: ``MAX_LINES`` lines, ``MAX_QUANTITY`` of one product, and the largest
  order Siyu accepts (``MAX_ORDER_FEN``);
* ``new_order_no``: the order's number (unique key);
* ``merge_items``: the caller's ``[{"product_id", "quantity"}]`` checked and merged
  (422 on ``items``);
* ``priced_lines``: ``OrderLine`` rows at list price or a live price, from active
  products only;
* ``take_stocks``: the stock taken by conditional updates, last thing before the commit
  and in product id order; ``give_back_stocks`` returns it (a cancelled or closed order).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Iterable
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from app.clock import SHANGHAI, utcnow
from app.extensions import db
from app.i18n import tr
from franchise.models import OrderLine, Product
from franchise.services import order_writes
from franchise.services.base import invalid
from franchise.services.catalog import MAX_PRICE_FEN

MAX_QUANTITY = 99
MAX_LINES = 20
# The largest order Siyu accepts: every line at the highest list price (a live price is
# at most the list price) and the most of each product. ¥198 billion; × the highest
# profit share it is still far inside 64 bits, which every money column and sum uses.
MAX_ORDER_FEN = MAX_LINES * MAX_QUANTITY * MAX_PRICE_FEN


def new_order_no() -> str:
    """``YYYYMMDDHHMMSS`` (Asia/Shanghai) + 8 random digits: 22 characters, unique key."""
    stamp = utcnow().astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")
    return stamp + f"{secrets.randbelow(10**8):08d}"


def merge_items(items: list[dict]) -> OrderedDict[int, int]:
    """Quantities per product id (duplicates merged), each in 1..99, else 422."""
    if not items:
        raise invalid("items", "An order needs at least one line.")
    if len(items) > MAX_LINES:
        raise invalid("items", tr("At most %(count)s lines.", count=MAX_LINES))
    merged: OrderedDict[int, int] = OrderedDict()
    for item in items:
        quantity = item.get("quantity")
        product_id = item.get("product_id")
        if not isinstance(product_id, int) or isinstance(product_id, bool) or product_id < 1:
            raise invalid("items", "Every line needs a product id.")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise invalid("items", "The quantity must be a whole number.")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise invalid(
                "items", tr("The quantity must be between 1 and %(max)s.", max=MAX_QUANTITY)
            )
        merged[product_id] = merged.get(product_id, 0) + quantity
        if merged[product_id] > MAX_QUANTITY:
            raise invalid("items", tr("At most %(count)s of one product.", count=MAX_QUANTITY))
    return merged


def _take_stock(product_id: int, quantity: int) -> bool:
    """Decrement stock only if enough is left and the product is active (atomic)."""
    result = db.session.execute(
        update(Product)
        .where(
            Product.id == product_id,
            Product.is_active.is_(True),
            Product.stock >= quantity,
        )
        .values(stock=Product.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount == 1


def take_stocks(lines: list[OrderLine], taken: set[int] | None = None) -> None:
    """Take every line's stock, last thing before the commit and in product id order.

    Each decrement locks the product's row until the commit; taken last, the lock lasts
    one statement and the commit (a best-seller's orders queue on it, so that time is
    the product's order rate), and taken in id order two orders cannot deadlock.
    ``taken``: the product ids whose units the order's own statement took already
    (``order_writes.write_placed``); the other lines are taken (or refused) here.
    """
    ordered = sorted(lines, key=lambda line: line.product_id)
    if not taken:  # PostgreSQL, several lines: one statement
        taken = order_writes.take_stocks(ordered)
    for line in ordered:
        if line.product_id not in taken and not _take_stock(line.product_id, line.quantity):
            raise invalid("items", tr("Not enough stock of %(name)s.", name=line.name))


def priced_lines(
    merged: OrderedDict[int, int],
    prices: dict[int, int] | None = None,
    products: dict[int, Product] | None = None,
) -> list[OrderLine]:
    """Order lines at list price, or at ``prices[product_id]`` (a live price) when given;
    ``products``: the products of ``merged`` when the caller read them already (order
    create: ``pricing.order_products``).

    Stock is not taken here (``take_stocks``, just before the commit)."""
    prices = prices or {}
    if products is None:
        found = db.session.scalars(select(Product).where(Product.id.in_(list(merged))))
        products = {p.id: p for p in found}
    lines = []
    for product_id, quantity in merged.items():
        product = products.get(product_id)
        if product is None or not product.is_active:
            raise invalid("items", tr("Product %(id)s is not for sale.", id=product_id))
        unit = prices.get(product_id, product.price_fen)
        lines.append(
            OrderLine(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                unit_price_fen=unit,
                quantity=quantity,
                line_total_fen=unit * quantity,
            )
        )
    return lines


def give_back_stocks(lines: Iterable[OrderLine]) -> None:
    """Return each line's units to its product's stock, in product id order (the order
    ``take_stocks`` locks them in, so a give-back and a take cannot deadlock)."""
    for line in sorted(lines, key=lambda line: line.product_id):
        db.session.execute(
            update(Product)
            .where(Product.id == line.product_id)
            .values(stock=Product.stock + line.quantity)
            .execution_options(synchronize_session=False)
        )
