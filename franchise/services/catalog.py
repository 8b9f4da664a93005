"""The product catalogue: create and change products (HQ), list them for the mini-program.

A product has a unique ``sku``, a list price in integer fen (``price_fen >= 0``), a stock
count, a category and an optional care interval in days with the kind of care (a
service kind; they drive the maintenance reminders of the pieces sold,
``franchise.services.piece_care``). Only active products can be ordered; stock moves
only through ``franchise.services.orders`` (atomic conditional updates). Services own the
transaction: each public writer validates, commits, or rolls back and raises.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.list_query import search, where_given
from franchise.models import SERVICE_KINDS, Product
from franchise.services.base import committed, ensure_unique, invalid

PRODUCT_FIELDS = (
    "sku",
    "name",
    "category",
    "price_fen",
    "stock",
    "care_interval_days",
    "care_kind",
    "description",
    "image_url",
    "is_active",
)
MAX_PRICE_FEN = 10**10  # ¥100,000,000: far above any real jewel, far below BIGINT
MAX_STOCK = 10**7


def _check(data: dict) -> None:
    """Rules the schema may not have seen (the admin form shares them)."""
    if "price_fen" in data and not 0 <= data["price_fen"] <= MAX_PRICE_FEN:
        raise invalid("price_fen", "The price must be between 0 and 100,000,000 yuan.")
    if "stock" in data and not 0 <= data["stock"] <= MAX_STOCK:
        raise invalid("stock", "The stock must be between 0 and 10,000,000.")
    care = data.get("care_interval_days")
    if care is not None and not 1 <= care <= 3650:
        raise invalid("care_interval_days", "Between 1 and 3650 days, or empty.")
    if data.get("care_kind") is not None and data["care_kind"] not in SERVICE_KINDS:
        raise invalid("care_kind", "Cleaning, polishing, resizing, re-plating or repair.")


def create_product(data: dict) -> Product:
    """Create a product; a taken ``sku`` answers 409."""
    with committed():
        _check(data)
        ensure_unique(Product, "sku", data["sku"], "sku", "SKU")
        product = Product(**{k: v for k, v in data.items() if k in PRODUCT_FIELDS})
        product.category = product.category or ""
        db.session.add(product)
    return product


def update_product(product: Product, data: dict) -> Product:
    """Change some fields of a product (HQ); the sku stays unique."""
    with committed():
        _check(data)
        if "sku" in data and data["sku"] != product.sku:
            ensure_unique(Product, "sku", data["sku"], "sku", "SKU", exclude_id=product.id)
        for key, value in data.items():
            if key in PRODUCT_FIELDS:
                setattr(product, key, "" if key == "category" and value is None else value)
    return product


def product_stmt(args: dict, *, active_only: bool = False):
    """The filtered product listing: ``category``, ``q`` (name or sku), ``is_active``."""
    stmt = select(Product).order_by(Product.category, Product.id)
    if active_only:
        stmt = stmt.where(Product.is_active.is_(True))
    elif args.get("is_active") is not None:
        stmt = stmt.where(Product.is_active.is_(bool(args["is_active"])))
    stmt = where_given(stmt, Product, args, ("category",))
    stmt = search(stmt, args.get("q"), Product.name, Product.sku)
    return stmt


def categories() -> list[str]:
    """The distinct non-empty categories, sorted (for filters)."""
    rows = db.session.scalars(
        select(Product.category).where(Product.category != "").distinct().order_by(Product.category)
    )
    return list(rows)
